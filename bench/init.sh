#!/usr/bin/env bash
# runit as process 1, ours against Debian's /sbin/runit, side by side in one
# run: time from starting process 1 to all N_SERVICES services of stage 2
# up, and from the shutdown request to every process gone (the namespace
# ends with runit's halt). Each runit runs the same stage scripts with its
# own suite: stage 2 is its runsvdir (and so its runsv), stage 3 its sv
# (`sv -w 7 force-stop`, then `sv exit`), also with one service that
# ignores SIGTERM (sv escalates to SIGKILL after 7 s). Medians of N_RUNS
# boots each, interleaved.
#
# runit runs as the init of a fresh PID namespace with a private mount
# namespace (/etc/runit: a scratch directory, /dev/console: /dev/null,
# /run: an empty tmpfs), as in tests/runit_init.rs; needs root and
# util-linux's unshare and nsenter. The shutdown request is the one both
# understand: the stop flag plus SIGCONT (Debian reads its flag from
# /run/runit.stopit, 2.3.0 from /etc/runit/stopit). Ours is also timed on
# SIGTERM, its container stop request, which Debian's runit ignores.
#
# Environment: OURS=target/release, DEBIAN_RUNIT=/sbin/runit,
# DEBIAN=/usr/bin (runsvdir, runsv, sv), N_SERVICES=100, N_RUNS=5.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
OURS=${OURS:-target/release}
DEBIAN=${DEBIAN:-/usr/bin}
DEBIAN_RUNIT=${DEBIAN_RUNIT:-/sbin/runit}
N_SERVICES=${N_SERVICES:-100}
N_RUNS=${N_RUNS:-5}
[[ $OURS == /* ]] || OURS=$top/$OURS
for p in runit runsvdir runsv sv; do
    if [[ ! -x $OURS/$p ]]; then
        echo "bench/init.sh: $OURS/$p is missing: run cargo build --release" >&2
        exit 1
    fi
done
if [[ $(id -u) != 0 ]]; then
    echo "bench/init.sh: needs root (PID and mount namespaces)" >&2
    exit 1
fi
scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
cleanup() {
    # Every boot's unshare was started with --kill-child in its own
    # process group; the helper kills them itself, this is the backstop.
    pkill -KILL -g "$(cat "$scratch"/*.pgid 2>/dev/null | tr '\n' ',' | sed 's/,$//')" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT INT TERM

echo "runit-rs init benchmark: $N_SERVICES services, $N_RUNS boots per runit, interleaved"
python3 - "$scratch" "$N_SERVICES" "$N_RUNS" "$OURS" "$DEBIAN" "$DEBIAN_RUNIT" <<'PY'
import os, signal, statistics, subprocess, sys, time

scratch, n, runs, ours, debian, debian_runit = sys.argv[1:]
n, runs = int(n), int(runs)
SUITES = {
    "ours": (f"{ours}/runit", ours, "/etc/runit/stopit"),
    "debian": (debian_runit, debian, "/run/runit.stopit"),
}
SETUP = ('mount --bind "$1" /etc/runit && mount --bind /dev/null /dev/console '
         '&& mount -t tmpfs tmpfs /run && exec "$2"')


def script(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)


def system(tag, bin, stubborn):
    """A scratch /etc/runit and service tree for one boot; with `stubborn`,
    service s0 ignores SIGTERM (stage 3's sv escalates to SIGKILL)."""
    root = f"{scratch}/{tag}"
    etc, svc = f"{root}/etc", f"{root}/service"
    os.makedirs(etc)
    open(f"{etc}/nosync", "w").close()
    script(f"{etc}/1", "exit 0")
    script(f"{etc}/2", f"PATH={bin}:/usr/bin:/bin\nexec {bin}/runsvdir -P {svc}")
    script(f"{etc}/3", f"{bin}/sv -w 7 force-stop {svc}/* >/dev/null\n{bin}/sv exit {svc}/*")
    for i in range(n):
        os.makedirs(f"{svc}/s{i}")
        trap = "trap '' TERM\n" if stubborn and i == 0 else ""
        script(f"{svc}/s{i}/run", f"{trap}: > {svc}/s{i}/up\nexec sleep 100000")
    return root, etc, svc


def wait(cond, limit, what):
    deadline = time.perf_counter() + limit
    while not cond():
        if time.perf_counter() > deadline:
            sys.exit(f"bench/init.sh: {what} within {limit} s")
        time.sleep(0.002)


def boot(suite, run, request, stubborn):
    runit, bin, flag = SUITES[suite]
    root, etc, svc = system(f"{suite}-{request}-{stubborn}-{run}", bin, stubborn)
    ups = [f"{svc}/s{i}/up" for i in range(n)]
    t0 = time.perf_counter()
    p = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
         "--propagation", "private", "/bin/sh", "-c", SETUP, "sh", etc, runit],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, process_group=0)
    with open(f"{scratch}/{p.pid}.pgid", "w") as f:
        f.write(str(p.pid))
    try:
        wait(lambda: all(os.path.exists(u) for u in ups), 60, f"{suite}: services not up")
        up = time.perf_counter() - t0
        with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
            init = int(f.read().split()[0])
        if request == "term":
            t1 = time.perf_counter()
            os.kill(init, signal.SIGTERM)
        else:
            subprocess.run(["nsenter", "--target", str(init), "--mount", "--", "/bin/sh", "-c",
                            f": > {flag} && chmod 100 {flag}"], check=True)
            t1 = time.perf_counter()
            os.kill(init, signal.SIGCONT)
        p.wait(timeout=60)
        down = time.perf_counter() - t1
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        subprocess.run(["rm", "-rf", root])
    return up * 1000, down * 1000


KEYS = ("ours-cont", "debian-cont", "ours-term", "ours-cont-stubborn", "debian-cont-stubborn",
        "ours-term-stubborn")
samples = {k: [] for k in KEYS}
for r in range(runs):
    order = list(KEYS)
    if r % 2:
        order.reverse()
    for key in order:
        suite, request = key.split("-")[:2]
        samples[key].append(boot(suite, r, request, key.endswith("stubborn")))
        print(f"  {key} run {r}: up {samples[key][-1][0]:.0f} ms, down {samples[key][-1][1]:.0f} ms",
              flush=True)

med = {k: (statistics.median(u for u, _ in v), statistics.median(d for _, d in v))
       for k, v in samples.items()}
print()
print("| measurement (median, ms) | debian | ours | ours/debian |")
print("|---|---:|---:|---:|")
for i, name in enumerate([f"process 1 start to {n} services up",
                          "stopit + SIGCONT to all stopped"]):
    d, o = med["debian-cont"][i], med["ours-cont"][i]
    print(f"| {name} | {d:.0f} | {o:.0f} | {o / d:.2f} |")
d, o = med["debian-cont-stubborn"][1], med["ours-cont-stubborn"][1]
print(f"| stopit + SIGCONT to all stopped, one service ignores SIGTERM | {d:.0f} | {o:.0f} | {o / d:.2f} |")
print(f"| SIGTERM to all stopped (ours only: container stop) | n/a | {med['ours-term'][1]:.0f} | n/a |")
print(f"| SIGTERM to all stopped, one service ignores SIGTERM (ours only) | n/a "
      f"| {med['ours-term-stubborn'][1]:.0f} | n/a |")
PY
