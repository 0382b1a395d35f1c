#!/usr/bin/env python3
"""Timing and bookkeeping helpers for bench/supervise.sh.

The shell script owns the processes (it starts every supervisor and kills
them); this helper only observes and times them, because bash is too slow
and too jittery for sub-millisecond measurements, and because medians and
ratios are painful in shell.

Every measuring subcommand prints one result line on stdout, either
"ok VALUE..." or "fail REASON", so the caller can tell a broken
implementation (e.g. a stub runsv) from a harness bug. Usage errors and
harness bugs exit non-zero.
"""

import math
import os
import signal
import statistics
import subprocess
import sys
import time

STATUS_LEN = 20  # runit's supervise/status record; daemontools' is 18
STATE_DOWN, STATE_RUN = 0, 1
POLL_TIMEOUT_S = 5.0  # longer than any sane supervisor needs to react


# --- reading the supervise/ protocol ---------------------------------------

def read_status(svdir):
    """The 20-byte status record, or None if absent or not (yet) complete."""
    try:
        with open(os.path.join(svdir, "supervise", "status"), "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return raw if len(raw) == STATUS_LEN else None


def status_pid(raw):
    # The pid is little-endian although the rest of the record is big-endian.
    return int.from_bytes(raw[12:16], "little")


def status_state(raw):
    return raw[19]


def read_pid_file(svdir):
    """Pid from supervise/pid, 0 if the file is missing or empty."""
    try:
        with open(os.path.join(svdir, "supervise", "pid"), "rb") as f:
            text = f.read().strip()
    except OSError:
        return 0
    return int(text) if text.isdigit() else 0


# --- small statistics ------------------------------------------------------

def p90(values):
    """Nearest-rank 90th percentile: a value that was actually observed."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def ms(ns):
    return ns / 1e6


# --- subcommands -----------------------------------------------------------

def cmd_wait_pids(args):
    """wait-pids TIMEOUT DIR...: wait until every DIR/supervise/pid is non-empty."""
    timeout = float(args[0])
    pending = list(args[1:])
    total = len(pending)
    deadline = time.monotonic() + timeout
    while True:
        pending = [d for d in pending if read_pid_file(d) == 0]
        if not pending:
            print("ok")
            return 0
        if time.monotonic() > deadline:
            print(f"fail {len(pending)} of {total} services had no pid "
                  f"after {timeout:g} s (e.g. {pending[0]})")
            return 0
        time.sleep(0.01)


def cmd_wait_supervised(args):
    """wait-supervised TIMEOUT DIR...: wait until every DIR has a status record."""
    timeout = float(args[0])
    pending = list(args[1:])
    deadline = time.monotonic() + timeout
    while pending:
        pending = [d for d in pending if read_status(d) is None]
        if time.monotonic() > deadline:
            print(f"fail no supervise/status in {pending[0]}")
            return 0
        time.sleep(0.01)
    print("ok")
    return 0


def smaps_rollup(pid):
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields


def cmd_smaps(args):
    """smaps PID...: per-process Private_Dirty, private total and Pss (KiB)."""
    dirty, private, pss = [], [], []
    for pid in args:
        try:
            f = smaps_rollup(pid)
        except OSError as e:
            print(f"fail cannot read /proc/{pid}/smaps_rollup ({e.strerror}): "
                  f"the supervisor died?")
            return 0
        dirty.append(f["Private_Dirty"])
        private.append(f["Private_Dirty"] + f["Private_Clean"])
        pss.append(f["Pss"])
    out = []
    for series in (dirty, private, pss):
        out += [f"{statistics.mean(series):.1f}", f"{statistics.median(series):.1f}"]
    print("ok " + " ".join(out))
    return 0


UP_BEFORE_S = 1.1  # runsv throttles restarts of processes that ran < 1 s
QUIET_S = 0.2  # let the previous restart (fork, exec of sh, exec of sleep) settle


class Pacer:
    """Interleaves several services fairly and keeps them out of the throttle.

    Every service is handled in turn, in alternating order from one round to
    the next, so that no suite systematically goes first. Before a service is
    touched it must have been up for UP_BEFORE_S (counted from when we last
    saw it start, which is after its real start), and nothing else may have
    happened for QUIET_S, so measurements do not overlap.
    """

    def __init__(self, keys):
        now = time.monotonic()
        self.keys = list(keys)
        self.started = {k: now for k in self.keys}
        self.last_event = now

    def rounds(self, n):
        for i in range(n):
            yield self.keys if i % 2 == 0 else self.keys[::-1]

    def wait_for(self, key):
        ready = max(self.started[key] + UP_BEFORE_S, self.last_event + QUIET_S)
        delay = ready - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def done(self, key, restarted):
        self.last_event = time.monotonic()
        if restarted:
            self.started[key] = self.last_event


def cmd_restart(args):
    """restart N DIR...: crash each service N times, time until runsv restarts it."""
    rounds = int(args[0])
    dirs = args[1:]
    samples = {d: [] for d in dirs}
    failed = {}
    pacer = Pacer(dirs)
    for order in pacer.rounds(rounds):
        for d in order:
            if d in failed:
                continue
            pacer.wait_for(d)
            old = read_pid_file(d)
            if old == 0:
                failed[d] = "no pid in supervise/pid"
                continue
            t0 = time.perf_counter_ns()
            try:
                os.kill(old, signal.SIGKILL)
            except ProcessLookupError:
                failed[d] = f"pid {old} from supervise/pid does not exist"
                continue
            deadline = t0 + int(POLL_TIMEOUT_S * 1e9)
            # Busy poll on purpose: a sleep here would be the resolution.
            while True:
                now = time.perf_counter_ns()
                raw = read_status(d)
                if raw is not None:
                    pid = status_pid(raw)
                    if pid not in (0, old):
                        samples[d].append(now - t0)
                        break
                if now > deadline:
                    failed[d] = f"no new pid within {POLL_TIMEOUT_S:g} s after kill -9"
                    break
            pacer.done(d, restarted=d not in failed)
    for d in dirs:
        if d in failed:
            print(f"fail {failed[d]}")
        else:
            s = samples[d]
            print(f"ok {ms(statistics.median(s)):.3f} {ms(p90(s)):.3f}")
    return 0


def send(d, byte):
    """Writes one command byte to supervise/control without blocking."""
    fd = os.open(os.path.join(d, "supervise", "control"), os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, byte)
    finally:
        os.close(fd)


def cmd_throttle(args):
    """throttle N DIR...: time a `d` sent while runsv throttles a crash loop.

    Each service's ./run exits at once, so after every exit runsv holds the
    restart back for a second. runit sleeps through that second; the time
    from writing `d` to the status showing "want down" is what a user of
    `sv down` waits for the supervisor to listen again.
    """
    rounds = int(args[0])
    dirs = args[1:]
    samples = {d: [] for d in dirs}
    failed = {}
    for i in range(rounds):
        for d in (dirs if i % 2 == 0 else list(reversed(dirs))):
            if d in failed:
                continue
            send(d, b"u")
            deadline = time.perf_counter_ns() + int(POLL_TIMEOUT_S * 1e9)
            # Wait for a start, then for the down transition that follows:
            # runsv is now inside its throttle.
            seen_run = False
            while True:
                raw = read_status(d)
                if raw is not None:
                    if status_pid(raw) != 0:
                        seen_run = True
                    elif seen_run and status_state(raw) == STATE_DOWN:
                        break
                if time.perf_counter_ns() > deadline:
                    failed[d] = "never saw a start followed by a down"
                    break
            if d in failed:
                continue
            t0 = time.perf_counter_ns()
            send(d, b"d")
            while True:
                now = time.perf_counter_ns()
                raw = read_status(d)
                if raw is not None and raw[17] == ord("d"):
                    samples[d].append(now - t0)
                    break
                if now > deadline + int(2e9):
                    failed[d] = "`d` not obeyed"
                    break
    for d in dirs:
        if d in failed:
            print(f"fail {failed[d]}")
        else:
            print(f"ok {ms(statistics.median(samples[d])):.3f} {ms(max(samples[d])):.3f}")
    return 0


def run_timed(argv):
    t0 = time.perf_counter_ns()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True)
    t1 = time.perf_counter_ns()
    return t1 - t0, r


def describe(argv, r):
    out = (r.stdout + r.stderr).decode(errors="replace").strip().replace("\n", " | ")
    return f"'{' '.join(argv)}' exited {r.returncode}: {out or '(no output)'}"


def sv_step(sv, d, action):
    """Run 'sv -w 10 ACTION d'; return (ns, None) or (None, reason).

    A stub sv would exit 0 at once and look infinitely fast, so the status
    record must show that the state really changed.
    """
    argv = [sv, "-w", "10", action, d]
    ns, r = run_timed(argv)
    if r.returncode != 0:
        return None, describe(argv, r)
    raw = read_status(d)
    if raw is None:
        return None, f"no valid supervise/status after '{' '.join(argv)}'"
    pid, state = status_pid(raw), status_state(raw)
    if action == "down" and (pid != 0 or state != STATE_DOWN):
        return None, f"'{' '.join(argv)}' returned but the service is not down"
    if action == "up" and (pid == 0 or state != STATE_RUN):
        return None, f"'{' '.join(argv)}' returned but the service is not up"
    return ns, None


def cmd_roundtrip(args):
    """roundtrip N SV DIR [SV DIR]...: time 'sv -w 10 down' then 'sv -w 10 up'.

    Each (sv, service) pairing needs its own service. Pairings are
    interleaved so they share conditions and the waits overlap: before every
    'down' the service must have been up > 1 s, otherwise runsv's restart
    throttle (a 1 s pause after a short run) would be measured instead of sv.
    """
    rounds = int(args[0])
    pairs = [(args[i], args[i + 1]) for i in range(1, len(args), 2)]
    times = {p: {"down": [], "up": []} for p in pairs}
    failed = {}
    for sv, d in pairs:
        raw = read_status(d)
        if raw is None or status_state(raw) != STATE_RUN:
            failed[(sv, d)] = "service not running before the test"
    pacer = Pacer(pairs)
    for order in pacer.rounds(rounds):
        for p in order:
            if p in failed:
                continue
            pacer.wait_for(p)
            for action in ("down", "up"):
                ns, reason = sv_step(p[0], p[1], action)
                if reason:
                    failed[p] = reason
                    break
                times[p][action].append(ns)
            pacer.done(p, restarted=p not in failed)
    for p in pairs:
        if p in failed:
            print(f"fail {failed[p]}")
        else:
            t = times[p]
            print(f"ok {ms(statistics.median(t['down'])):.2f} {ms(statistics.median(t['up'])):.2f}"
                  f" {ms(p90(t['down'])):.2f} {ms(p90(t['up'])):.2f}")
    return 0


def cmd_svstatus(args):
    """svstatus N SV DIR: time 'sv status DIR' (service expected to be up)."""
    rounds, sv, d = int(args[0]), args[1], args[2]
    argv = [sv, "status", d]
    times = []
    for _ in range(rounds):
        ns, r = run_timed(argv)
        if r.returncode != 0 or not r.stdout.startswith(b"run: "):
            print(f"fail {describe(argv, r)}")
            return 0
        times.append(ns)
    print(f"ok {ms(statistics.median(times)):.2f}")
    return 0


def cmd_ctxt(args):
    """ctxt PID: voluntary and nonvoluntary context switches so far."""
    vals = {}
    try:
        with open(f"/proc/{args[0]}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.endswith("ctxt_switches"):
                    vals[key] = int(value)
    except OSError as e:
        print(f"fail cannot read /proc/{args[0]}/status ({e.strerror})")
        return 0
    print(f"ok {vals['voluntary_ctxt_switches']} {vals['nonvoluntary_ctxt_switches']}")
    return 0


def cmd_strace_total(args):
    """strace-total FILE: number of syscalls in an 'strace -c -o FILE' summary."""
    # strace writes no table at all when it saw no syscall.
    with open(args[0]) as f:
        for line in f:
            parts = line.split()
            if parts and parts[-1] == "total":
                print(parts[3])
                return 0
    print(0)
    return 0


def fmt_ratio(debian, ours):
    try:
        d, o = float(debian), float(ours)
    except ValueError:
        return "n/a"
    if d == 0:
        return "n/a"
    return f"{o / d:.2f}"


def cmd_row(args):
    """row FILE NAME DEBIAN OURS: record one result and print it."""
    path, name, debian, ours = args
    ratio = fmt_ratio(debian, ours)
    with open(path, "a") as f:
        f.write(f"{name}\t{debian}\t{ours}\t{ratio}\n")
    print(f"{name}: debian {debian}, ours {ours}, ratio {ratio}", flush=True)
    return 0


def cmd_table(args):
    """table FILE: the recorded rows as an aligned table, then as markdown."""
    header = ("measurement", "debian", "ours", "ours/debian")
    rows = []
    with open(args[0]) as f:
        for line in f:
            rows.append(tuple(line.rstrip("\n").split("\t")))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]

    def plain(r):
        return "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])])

    print(plain(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(plain(r))
    print()
    print("| " + " | ".join(header) + " |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


def cmd_sweep(args):
    """sweep DIR: SIGKILL every process whose cwd or command line is under DIR.

    Safety net behind the process-group kills: a supervisor that puts its
    service into a new session or process group would otherwise leave the
    service behind. Prints the number of processes still alive afterwards.
    """
    root = os.path.realpath(args[0])
    me = {os.getpid(), os.getppid()}

    def ours():
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in me:
                continue
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                cwd = ""  # gone, a zombie, or not ours to inspect
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read().decode(errors="replace")
            except OSError:
                cmdline = ""
            if cwd == root or cwd.startswith(root + "/") or root in cmdline:
                found.append(int(entry))
        return found

    for _ in range(20):
        victims = ours()
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    print(len(ours()))
    return 0


COMMANDS = {
    "wait-pids": cmd_wait_pids,
    "wait-supervised": cmd_wait_supervised,
    "smaps": cmd_smaps,
    "restart": cmd_restart,
    "throttle": cmd_throttle,
    "roundtrip": cmd_roundtrip,
    "svstatus": cmd_svstatus,
    "ctxt": cmd_ctxt,
    "strace-total": cmd_strace_total,
    "row": cmd_row,
    "table": cmd_table,
    "sweep": cmd_sweep,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} ARGS...")
    try:
        sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
    except KeyboardInterrupt:
        sys.exit(130)  # the calling script reports and cleans up
