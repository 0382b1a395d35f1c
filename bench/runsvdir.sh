#!/usr/bin/env bash
# runsvdir, ours against Debian's, side by side in one run (tmpfs):
# link-to-start latency, time for N_MANY services to all be up, memory of
# runsvdir plus every runsv, wake-ups and CPU of an idle N_IDLE-service
# tree. bench/runsvdir_helper.py says how each figure is taken.
#
# Environment: OURS=target/release, DEBIAN=/usr/bin, N_LINKS=10,
# N_MANY=1000, ROUNDS=3, N_IDLE=100, IDLE_SECONDS=20.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
OURS=${OURS:-target/release}
DEBIAN=${DEBIAN:-/usr/bin}
[[ $OURS == /* ]] || OURS=$top/$OURS
if [[ ! -x $OURS/runsvdir || ! -x $OURS/runsv ]]; then
    echo "bench/runsvdir.sh: $OURS/runsvdir or runsv is missing: run cargo build --release" >&2
    exit 1
fi
scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "runit-rs runsvdir benchmark ($(nproc) cores, $(uname -r))"
python3 bench/runsvdir_helper.py "$OURS" "$DEBIAN" "$scratch"
