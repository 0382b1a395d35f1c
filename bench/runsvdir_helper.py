#!/usr/bin/env python3
"""runsvdir benchmarks, ours against Debian's, side by side in one run.

Called by bench/runsvdir.sh as: runsvdir_helper.py OURS DEBIAN SCRATCH.
Each suite's runsvdir runs with its own runsv first in PATH, in its own
session and process group, which is killed at the end whatever happens.

1. link-to-start: `ln -s` of a service into a scanned directory until its
   ./run has started (median and max of N_LINKS, interleaved).
2. all up: runsvdir started on a directory of N_MANY services until every
   ./run has started (median of ROUNDS, suites alternating), then the
   memory of runsvdir and all its runsv (Private_Dirty and Pss, summed).
3. idle: a tree of N_IDLE services, every service up, then the context
   switches (wake-ups) and CPU time of runsvdir and of all runsv over
   IDLE_SECONDS, both suites at once (idle processes do not compete).
"""

import os
import signal
import statistics
import subprocess
import sys
import time

from supervise_helper import smaps_rollup

N_LINKS = int(os.environ.get("N_LINKS", "10"))
N_MANY = int(os.environ.get("N_MANY", "1000"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))
N_IDLE = int(os.environ.get("N_IDLE", "100"))
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "20"))
SUITES = ("debian", "ours")
TICK = os.sysconf("SC_CLK_TCK")


class Tree:
    """A runsvdir of one suite on SCRATCH/SUITE/NAME/scan."""

    def __init__(self, bindir, base):
        self.bindir, self.base = bindir, base
        self.scan = f"{base}/scan"
        os.makedirs(self.scan)
        self.proc = None

    def service(self, name, run, link=False):
        """Creates service NAME (in pool/ and linked if `link`)."""
        where = f"{self.base}/pool" if link else self.scan
        svc = f"{where}/{name}"
        os.makedirs(svc)
        with open(f"{svc}/run", "w") as f:
            f.write(run)
        os.chmod(f"{svc}/run", 0o755)
        return svc

    def start(self):
        env = dict(os.environ, PATH=f"{self.bindir}:/usr/bin:/bin")
        self.proc = subprocess.Popen(
            [f"{self.bindir}/runsvdir", self.scan],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)

    def runsvs(self):
        """Pids of runsvdir's runsv children."""
        out = []
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            try:
                with open(f"/proc/{e}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.proc.pid and "(runsv)" in stat:
                out.append(int(e))
        return out

    def stop(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        # The group is gone once no process is left in it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        self.proc = None


def wait_for(cond, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            sys.exit(f"bench/runsvdir.sh: {what} within {timeout} s")
        time.sleep(0.0005)


def size(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def row(name, d, o, fmt="{:.1f}"):
    ratio = f"{o / d:.3f}" if d else "-"
    print(f"| {name} | {fmt.format(d)} | {fmt.format(o)} | {ratio} |")


def link_to_start(bins, scratch, trees):
    samples = {s: [] for s in SUITES}
    for s in SUITES:
        trees[s] = Tree(bins[s], f"{scratch}/{s}/link")
        trees[s].start()
    for i in range(N_LINKS):
        for s in (SUITES if i % 2 == 0 else SUITES[::-1]):
            t = trees[s]
            marker = f"{t.base}/started{i}"
            svc = t.service(f"s{i}", f"#!/bin/sh\n: > {marker}\nexec sleep 100000\n", link=True)
            t0 = time.perf_counter_ns()
            os.symlink(svc, f"{t.scan}/s{i}")
            wait_for(lambda: os.path.exists(marker), f"{s}: s{i} did not start", 15)
            samples[s].append((time.perf_counter_ns() - t0) / 1e6)
    for s in SUITES:
        trees[s].stop()
    med = {s: statistics.median(v) for s, v in samples.items()}
    mx = {s: max(v) for s, v in samples.items()}
    return [("link to ./run started, median (ms)", med),
            ("link to ./run started, max (ms)", mx)]


def all_up(bins, scratch, trees):
    secs = {s: [] for s in SUITES}
    dirty, pss = {}, {}
    for r in range(ROUNDS):
        for s in (SUITES if r % 2 == 0 else SUITES[::-1]):
            base = f"{scratch}/{s}/many{r}"
            t = trees[s] = Tree(bins[s], base)
            up = f"{base}/up"
            run = f"#!/bin/sh\necho >> {up}\nexec sleep 100000\n"
            for i in range(N_MANY):
                t.service(f"s{i}", run)
            t0 = time.perf_counter_ns()
            t.start()
            wait_for(lambda: size(up) >= N_MANY, f"{s}: {N_MANY} services not up", 120)
            secs[s].append((time.perf_counter_ns() - t0) / 1e9)
            if r == 0:
                # Memory once everything settled: runsvdir plus every runsv.
                time.sleep(1)
                pids = [t.proc.pid] + t.runsvs()
                if len(pids) != N_MANY + 1:
                    sys.exit(f"{s}: found {len(pids) - 1} runsv, not {N_MANY}")
                m = [smaps_rollup(p) for p in pids]
                dirty[s] = sum(x["Private_Dirty"] for x in m) / 1024
                pss[s] = sum(x["Pss"] for x in m) / 1024
            t.stop()
            subprocess.run(["rm", "-rf", base], check=True)
    med = {s: statistics.median(v) for s, v in secs.items()}
    return [(f"{N_MANY} services all up, median of {ROUNDS} (s)", med),
            (f"runsvdir + {N_MANY} runsv, Private_Dirty (MiB)", dirty),
            (f"runsvdir + {N_MANY} runsv, Pss (MiB)", pss)]


def counters(pid):
    with open(f"/proc/{pid}/status") as f:
        st = dict(line.split(":", 1) for line in f)
    switches = int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return switches, ticks


def idle(bins, scratch, trees):
    for s in SUITES:
        base = f"{scratch}/{s}/idle"
        t = trees[s] = Tree(bins[s], base)
        up = f"{base}/up"
        for i in range(N_IDLE):
            t.service(f"s{i}", f"#!/bin/sh\necho >> {up}\nexec sleep 100000\n")
        t.start()
    for s in SUITES:
        up = f"{trees[s].base}/up"
        wait_for(lambda: size(up) >= N_IDLE, f"{s}: {N_IDLE} services not up", 60)
    # Past runit's confirming rescan and the first periodic one.
    time.sleep(6)
    pids = {s: (trees[s].proc.pid, trees[s].runsvs()) for s in SUITES}
    before = {s: (counters(d), [counters(p) for p in r]) for s, (d, r) in pids.items()}
    time.sleep(IDLE_SECONDS)
    after = {s: (counters(d), [counters(p) for p in r]) for s, (d, r) in pids.items()}
    for s in SUITES:
        trees[s].stop()

    def delta(s, which, k):
        (d0, r0), (d1, r1) = before[s], after[s]
        if which == "runsvdir":
            return d1[k] - d0[k]
        return sum(b[k] - a[k] for a, b in zip(r0, r1))

    secs = int(IDLE_SECONDS)
    return [(f"runsvdir wake-ups in {secs} idle s", {s: delta(s, "runsvdir", 0) for s in SUITES}),
            (f"all {N_IDLE} runsv wake-ups in {secs} idle s", {s: delta(s, "runsv", 0) for s in SUITES}),
            (f"CPU of the tree in {secs} idle s (ms)",
             {s: (delta(s, "runsvdir", 1) + delta(s, "runsv", 1)) * 1000 / TICK for s in SUITES})]


def main():
    ours, debian, scratch = sys.argv[1:4]
    bins = {"ours": ours, "debian": debian}
    trees = {}
    rows = []
    try:
        for step in (link_to_start, all_up, idle):
            rows += step(bins, scratch, trees)
    finally:
        for t in trees.values():
            t.stop()
    print("| measurement | debian | ours | ours/debian |")
    print("|---|---:|---:|---:|")
    for name, v in rows:
        fmt = "{:.0f}" if "wake-ups" in name else "{:.2f}" if "(s)" in name else "{:.1f}"
        row(name, v["debian"], v["ours"], fmt)


if __name__ == "__main__":
    main()
