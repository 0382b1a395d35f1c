#!/usr/bin/env bash
# How much time chpst adds to a service start, ours against Debian's, side
# by side in one run: the median wall time of `chpst -e DIR -o 1024 true`
# minus that of a bare `true`, each spawned N_SPAWNS times (interleaved, so
# both see the same machine).
#
# Environment: OURS=target/release, DEBIAN=/usr/bin, N_SPAWNS=1000.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
OURS=${OURS:-target/release}
DEBIAN=${DEBIAN:-/usr/bin}
N_SPAWNS=${N_SPAWNS:-1000}
[[ $OURS == /* ]] || OURS=$top/$OURS
if [[ ! -x $OURS/chpst ]]; then
    echo "bench/chpst.sh: $OURS/chpst is missing: run cargo build --release" >&2
    exit 1
fi
scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A small envdir, as a run script would have.
mkdir "$scratch/env"
printf 'production\n' >"$scratch/env/MODE"
printf '8080\n' >"$scratch/env/PORT"
: >"$scratch/env/UNSET"

echo "runit-rs chpst benchmark: $N_SPAWNS spawns each, interleaved"
python3 - "$N_SPAWNS" "$scratch/env" "$DEBIAN/chpst" "$OURS/chpst" <<'PY'
import os, statistics, sys, time

n, envdir, debian, ours = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
true = "/bin/true"
cases = {
    "bare true": [true],
    "debian chpst": [debian, "-e", envdir, "-o", "1024", "true"],
    "ours chpst": [ours, "-e", envdir, "-o", "1024", "true"],
}
samples = {k: [] for k in cases}
for _ in range(n):
    for name, argv in cases.items():
        t = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ)
        _, status = os.waitpid(pid, 0)
        samples[name].append(time.perf_counter_ns() - t)
        if status != 0:
            sys.exit(f"{name}: {argv} exited with status {status}")
med = {k: statistics.median(v) / 1e6 for k, v in samples.items()}
over = {k: med[k] - med["bare true"] for k in ("debian chpst", "ours chpst")}
print(f"bare true, median (ms): {med['bare true']:.3f}")
for k in ("debian chpst", "ours chpst"):
    print(f"{k}, median (ms): {med[k]:.3f} (adds {over[k]:.3f})")
ratio = over["ours chpst"] / over["debian chpst"] if over["debian chpst"] > 0 else float("nan")
print()
print("| measurement | debian | ours | ours/debian |")
print("|---|---:|---:|---:|")
print(f"| `chpst -e dir -o 1024 true`, median (ms) | {med['debian chpst']:.3f} | {med['ours chpst']:.3f} | {med['ours chpst'] / med['debian chpst']:.2f} |")
print(f"| time added over a bare `true` ({med['bare true']:.3f} ms), median (ms) | {over['debian chpst']:.3f} | {over['ours chpst']:.3f} | {ratio:.2f} |")
PY
