#!/usr/bin/env bash
# Time from `ln -s` of a service into a scanned directory to its ./run
# starting, ours against Debian's runsvdir, side by side in one run
# (median and maximum of N_LINKS services each, interleaved).
#
# Environment: OURS=target/release, DEBIAN=/usr/bin, N_LINKS=10.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
OURS=${OURS:-target/release}
DEBIAN=${DEBIAN:-/usr/bin}
N_LINKS=${N_LINKS:-10}
[[ $OURS == /* ]] || OURS=$top/$OURS
if [[ ! -x $OURS/runsvdir || ! -x $OURS/runsv ]]; then
    echo "bench/runsvdir.sh: $OURS/runsvdir or runsv is missing: run cargo build --release" >&2
    exit 1
fi
scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
pgids=()
cleanup() {
    local g
    for g in "${pgids[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
    rm -rf "$scratch"
}
trap cleanup EXIT INT TERM

# Each suite scans its own directory with its own runsv first in PATH.
for suite in debian ours; do
    mkdir -p "$scratch/$suite/scan" "$scratch/$suite/pool"
    bin=$DEBIAN
    [[ $suite == ours ]] && bin=$OURS
    PATH="$bin:/usr/bin:/bin" setsid "$bin/runsvdir" "$scratch/$suite/scan" </dev/null >/dev/null 2>&1 &
    pgids+=("$!")
    # No "Killed" job notice when the group is killed at the end.
    disown "$!"
done

echo "runit-rs runsvdir benchmark: link-to-start, $N_LINKS services each, interleaved"
python3 - "$N_LINKS" "$scratch" <<'PY'
import os, statistics, sys, time

n, scratch = int(sys.argv[1]), sys.argv[2]
samples = {"debian": [], "ours": []}
for i in range(n):
    for suite in (("debian", "ours") if i % 2 == 0 else ("ours", "debian")):
        svc = f"{scratch}/{suite}/pool/s{i}"
        os.makedirs(svc)
        marker = f"{svc}/started"
        with open(f"{svc}/run", "w") as f:
            f.write(f"#!/bin/sh\n: > {marker}\nexec sleep 100000\n")
        os.chmod(f"{svc}/run", 0o755)
        t = time.perf_counter_ns()
        os.symlink(svc, f"{scratch}/{suite}/scan/s{i}")
        deadline = t + 15 * 10**9
        while not os.path.exists(marker):
            if time.perf_counter_ns() > deadline:
                sys.exit(f"{suite}: s{i} did not start within 15 s")
            time.sleep(0.0005)
        samples[suite].append((time.perf_counter_ns() - t) / 1e6)
med = {k: statistics.median(v) for k, v in samples.items()}
mx = {k: max(v) for k, v in samples.items()}
print()
print("| measurement | debian | ours | ours/debian |")
print("|---|---:|---:|---:|")
print(f"| link to ./run started, median (ms) | {med['debian']:.1f} | {med['ours']:.1f} | {med['ours'] / med['debian']:.3f} |")
print(f"| link to ./run started, max (ms) | {mx['debian']:.1f} | {mx['ours']:.1f} | {mx['ours'] / mx['debian']:.3f} |")
PY
