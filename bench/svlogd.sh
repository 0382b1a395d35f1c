#!/usr/bin/env bash
# Logger throughput, side by side in one run: N_LINES lines of 100 bytes
# through a pipe into ours and Debian's `svlogd -tt` (config
# `s10000000`), daemontools' `multilog t s10000000`, s6's
# `s6-log T s10000000` when installed, and `cat > file` as the limit; all
# on tmpfs. Per tool: median lines per second (wall time from the first
# byte offered to the logger's exit), median CPU seconds of the logger
# (user + sys from wait4), and a check that every line arrived, in order,
# exactly once (archives in name order, then `current`).
#
# Environment: OURS=target/release, DEBIAN=/usr/bin, N_LINES=2000000,
# N_RUNS=3.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
OURS=${OURS:-target/release}
DEBIAN=${DEBIAN:-/usr/bin}
N_LINES=${N_LINES:-2000000}
N_RUNS=${N_RUNS:-3}
[[ $OURS == /* ]] || OURS=$top/$OURS
if [[ ! -x $OURS/svlogd ]]; then
    echo "bench/svlogd.sh: $OURS/svlogd is missing: run cargo build --release" >&2
    exit 1
fi
scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

echo "runit-rs svlogd benchmark: $N_LINES lines of 100 bytes, $N_RUNS runs each, interleaved, on $(df --output=fstype "$scratch" | tail -1)"
python3 - "$scratch" "$N_LINES" "$N_RUNS" "$OURS/svlogd" "$DEBIAN/svlogd" <<'PY'
import glob, os, shutil, statistics, subprocess, sys, time

scratch, n, runs, ours, debian = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
LINE = 100

def line(i):
    head = b"%09d " % i
    return head + b"x" * (LINE - 1 - len(head)) + b"\n"

src = f"{scratch}/input"
with open(src, "wb") as f:
    for start in range(0, n, 100000):
        f.write(b"".join(line(i) for i in range(start, min(n, start + 100000))))

def svlogd(b):
    def setup(d):
        os.mkdir(d)
        with open(f"{d}/config", "w") as f:
            f.write("s10000000\nn0\n")
        return [b, "-tt", d]
    return setup

def multilog(d):
    return ["multilog", "t", "s10000000", "n1000", d]

def s6log(d):
    return ["s6-log", "T", "s10000000", "n1000", d]

def cat(d):
    os.mkdir(d)
    return ["sh", "-c", f'exec cat > "{d}/current"']

tools = {"ours svlogd": svlogd(ours), "debian svlogd": svlogd(debian)}
for name, setup, package in (("multilog", multilog, "daemontools"), ("s6-log", s6log, "s6")):
    if shutil.which(name):
        tools[name] = setup
    else:
        print(f"{name} not installed: skipped (apt-get install {package})")
tools["cat > file"] = cat

def run(setup, d):
    argv = setup(d)
    with open(src, "rb") as inp:
        r, w = os.pipe()
        t = time.perf_counter()
        logger = subprocess.Popen(argv, stdin=r, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r)
        feeder = subprocess.Popen(["cat"], stdin=inp, stdout=w)
        os.close(w)
        _, status, ru = os.wait4(logger.pid, 0)
        wall = time.perf_counter() - t
        feeder.wait()
    if status != 0:
        sys.exit(f"{argv}: exit status {status}")
    return wall, ru.ru_utime + ru.ru_stime

def arrived(d):
    """True if the lines of the archives (name order) and current, minus
    any stamp, are exactly the input."""
    files = sorted(glob.glob(f"{d}/@*")) + [f"{d}/current"]
    i = 0
    for path in files:
        with open(path, "rb") as f:
            for got in f:
                if i >= n or got[-LINE:] != line(i):
                    return False
                i += 1
    return i == n

samples = {k: [] for k in tools}
complete = {}
for r in range(runs):
    order = list(tools) if r % 2 == 0 else list(reversed(tools))
    for name in order:
        d = f"{scratch}/{name.split()[0]}-{r}"
        samples[name].append(run(tools[name], d))
        if r == 0:
            complete[name] = arrived(d)
        shutil.rmtree(d)

print()
print("| logger | lines/s (M) | CPU (s) | every line arrived | lines/s vs debian | CPU vs debian |")
print("|---|---:|---:|---|---:|---:|")
med = {k: (n / statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in samples.items()}
dl, dc = med["debian svlogd"]
for k, (lps, cpu) in med.items():
    print(f"| {k} | {lps / 1e6:.2f} | {cpu:.2f} | {'yes' if complete[k] else 'NO'} | {lps / dl:.2f} | {cpu / dc:.2f} |")
PY
