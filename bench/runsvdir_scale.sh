#!/usr/bin/env bash
# runsvdir with many services, ours against Debian's side by side in one
# run: N services (default 1000, Debian's maximum), each with a `down`
# file so that only the runsv's run; then ours alone with N_BIG (default
# 10000). Measured: the time from starting runsvdir until every
# `supervise/stat` exists, runsvdir's CPU time until then, its CPU time
# over IDLE_SECONDS (default 20) once all are up, and its resident memory.
#
# Environment: OURS=target/release, DEBIAN=/usr/bin, N=1000, N_BIG=10000,
# IDLE_SECONDS=20.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
OURS=${OURS:-target/release}
DEBIAN=${DEBIAN:-/usr/bin}
N=${N:-1000}
N_BIG=${N_BIG:-10000}
IDLE_SECONDS=${IDLE_SECONDS:-20}
[[ $OURS == /* ]] || OURS=$top/$OURS
if [[ ! -x $OURS/runsvdir || ! -x $OURS/runsv ]]; then
    echo "bench/runsvdir_scale.sh: $OURS/runsvdir or runsv is missing: run cargo build --release" >&2
    exit 1
fi
scratch=$(mktemp -d)
pgid=
cleanup() {
    [[ -n $pgid ]] && kill -KILL -- "-$pgid" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT INT TERM

# measure BINDIR COUNT: prints "up_s cpu_up_s cpu_idle_s rss_kib".
measure() {
    local bin=$1 n=$2 dir
    dir=$(mktemp -d -p "$scratch")
    mkdir "$dir/service"
    (cd "$dir/service" && for ((i = 0; i < n; i++)); do mkdir "s$i" && : >"s$i/down"; done)
    local t0
    t0=$(date +%s.%N)
    (cd "$dir" && PATH="$bin:/usr/bin:/bin" exec setsid "$bin/runsvdir" service </dev/null >/dev/null 2>&1) &
    pgid=$!
    disown "$pgid"
    python3 - "$dir/service" "$n" "$pgid" "$t0" "$IDLE_SECONDS" <<'PY'
import os, sys, time
d, n, pid, t0, idle = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
hz = os.sysconf("SC_CLK_TCK")
def ticks():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
pending = set(range(n))
deadline = time.time() + 600
while pending:
    pending = {i for i in pending if not os.path.exists(f"{d}/s{i}/supervise/stat")}
    if time.time() > deadline:
        sys.exit(f"{len(pending)} of {n} services not up in 600 s")
    time.sleep(0.05)
up = time.time() - t0
t1 = ticks()
time.sleep(idle)
t2 = ticks()
rss = next(l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")).split()[1]
print(f"{up:.2f} {t1 / hz:.2f} {(t2 - t1) / hz:.2f} {rss}")
PY
    kill -KILL -- "-$pgid"
    pgid=
    rm -rf "$dir"
}

read -r d_up d_cpu d_idle d_rss < <(measure "$DEBIAN" "$N")
read -r o_up o_cpu o_idle o_rss < <(measure "$OURS" "$N")
read -r b_up b_cpu b_idle b_rss < <(measure "$OURS" "$N_BIG")

echo "runit-rs runsvdir scale benchmark: $N services each, then ours with $N_BIG"
echo
echo "| measurement | debian ($N) | ours ($N) | ours/debian | ours ($N_BIG) |"
echo "|---|---:|---:|---:|---:|"
python3 - "$d_up $o_up $b_up" "$d_cpu $o_cpu $b_cpu" "$d_idle $o_idle $b_idle" "$d_rss $o_rss $b_rss" "$IDLE_SECONDS" <<'PY'
import sys
rows = [("all supervised after start (s)", sys.argv[1]),
        ("runsvdir CPU until then (s)", sys.argv[2]),
        (f"runsvdir CPU over {sys.argv[5]} s idle (s)", sys.argv[3]),
        ("runsvdir RSS (KiB)", sys.argv[4])]
for name, vals in rows:
    d, o, b = (float(v) for v in vals.split())
    ratio = f"{o / d:.2f}" if d else "—"
    print(f"| {name} | {d:g} | {o:g} | {ratio} | {b:g} |")
PY
