#!/usr/bin/env bash
# Benchmark our runsv and sv against Debian's runit, side by side, in one run.
#
#   cargo build --release && bench/supervise.sh
#
# Environment:
#   OURS=target/release   directory of our runsv and sv (relative paths are
#                         taken from the repository root)
#   DEBIAN=/usr/bin       directory of the reference runsv and sv
#   N_SERVICES=200        idle runsv processes for the memory measurement
#   N_RESTARTS=20         crashes for the restart latency measurement
#   N_THROTTLE=10         'd' commands sent during a restart throttle
#   N_ROUNDTRIPS=20       'sv -w 10 down' + 'sv -w 10 up' pairs per pairing
#   N_STATUS=20           'sv status' calls per pairing
#   IDLE_SECONDS=10       window for counting idle wake-ups
#
# Measurements (see BENCHMARKS.md for targets):
#   1. private memory of N_SERVICES idle runsv, each supervising a sleeper;
#   2. context switches (and syscalls, if strace is installed) of an idle runsv;
#   3. time from kill -9 of a service that has been up > 1.1 s until
#      supervise/status shows the new pid;
#   3b. time from writing 'd' during the one-second restart throttle of a
#      crash-looping service until supervise/status shows "want down";
#   4. wall time of 'sv -w 10 down|up' and 'sv status'.
#
# Each result is printed as "name: debian X, ours Y, ratio Y/X" as soon as it
# is known; a plain table and a markdown table follow at the end. An
# implementation that does not work (e.g. a stub runsv that exits at once)
# is reported as "not working" for the rows it affects instead of hanging.
#
# Everything runs in a scratch directory (tmpfs when possible) without any
# network; every supervisor is started in its own session and killed by process
# group on exit, whether the run succeeds, fails or is interrupted.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELPER=$REPO/bench/supervise_helper.py

OURS=${OURS:-target/release}
DEBIAN=${DEBIAN:-/usr/bin}
N_SERVICES=${N_SERVICES:-200}
N_RESTARTS=${N_RESTARTS:-20}
N_THROTTLE=${N_THROTTLE:-10}
N_ROUNDTRIPS=${N_ROUNDTRIPS:-20}
N_STATUS=${N_STATUS:-20}
IDLE_SECONDS=${IDLE_SECONDS:-10}
STRACE_SECONDS=5
START_TIMEOUT=5 # seconds for a supervisor to show a service pid

NOT_WORKING="not working"

fatal() {
    echo "supervise.sh: fatal: $*" >&2
    exit 1
}

note() {
    echo "  note: $*" >&2
}

# Both suites install the same program names, so nothing is ever looked up
# in PATH: resolve both directories to absolute paths once.
[[ $OURS == /* ]] || OURS=$REPO/$OURS
[[ $DEBIAN == /* ]] || DEBIAN=$REPO/$DEBIAN

if [[ ! -e $OURS/runsv ]]; then
    echo "supervise.sh: $OURS/runsv not found; run 'cargo build --release' first" >&2
    exit 1
fi
for bin in "$DEBIAN/runsv" "$DEBIAN/sv"; do
    [[ -x $bin ]] || fatal "$bin not found or not executable (is Debian's runit installed?)"
done
for n in N_SERVICES N_RESTARTS N_ROUNDTRIPS N_STATUS IDLE_SECONDS; do
    [[ ${!n} =~ ^[1-9][0-9]*$ ]] || fatal "$n must be a positive integer, got '${!n}'"
done
[[ -r /proc/self/smaps_rollup ]] || fatal "/proc/PID/smaps_rollup is not available (Linux >= 4.14 needed)"

# The system python is preferred over version-manager shims, which add a
# shell wrapper to every call.
if [[ -x /usr/bin/python3 ]]; then
    PYTHON=/usr/bin/python3
else
    PYTHON=$(command -v python3) || fatal "python3 is needed for the timing helper"
fi
SETSID=$(command -v setsid) || fatal "setsid (util-linux) is needed"
STRACE=$(command -v strace) || STRACE=""

helper() {
    "$PYTHON" "$HELPER" "$@"
}

# --- scratch directory and cleanup --------------------------------------------

SCRATCH=""
PGIDS=()  # one process group per supervisor tree
BGPIDS=() # other background helpers (strace)

kill_groups() {
    local g
    for g in "${PGIDS[@]}"; do
        kill -KILL -- "-$g" 2>/dev/null || true
    done
    PGIDS=()
}

cleanup() {
    local rc=$? p left
    trap - EXIT INT TERM
    set +e
    for p in "${BGPIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    kill_groups
    if [[ -n $SCRATCH ]]; then
        # Catches services that their supervisor moved to another process
        # group or session, which the group kill above cannot reach.
        left=$(helper sweep "$SCRATCH")
        if [[ $left != 0 ]]; then
            echo "supervise.sh: error: $left benchmark processes survived cleanup (see pgrep -f $SCRATCH)" >&2
            rc=1
        fi
        rm -rf -- "$SCRATCH"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -d /dev/shm && -w /dev/shm ]]; then
    SCRATCH=$(mktemp -d -p /dev/shm runit-bench.XXXXXX)
else
    SCRATCH=$(mktemp -d -p /tmp runit-bench.XXXXXX)
fi
RESULTS=$SCRATCH/results.tsv

# --- building blocks ---------------------------------------------------------

# make_service DIR: a service whose ./run is a long sleeper.
make_service() {
    mkdir -p "$1"
    printf '#!/bin/sh\nexec /bin/sleep 100000\n' >"$1/run"
    chmod 755 "$1/run"
}

# start_runsv RUNSV DIR LOG: start a supervisor as leader of a new session and
# process group (its pid is the group id), recorded for cleanup.
# Sets STARTED_PID.
start_runsv() {
    "$SETSID" "$1" "$2" </dev/null >>"$3" 2>&1 &
    STARTED_PID=$!
    PGIDS+=("$STARTED_PID")
    # No "Killed" job notice when the group is killed later.
    disown "$STARTED_PID"
}

# wait_started LABEL LOG DIR...: "ok" or the reason why not, on stdout.
wait_started() {
    local label=$1 log=$2 result
    shift 2
    result=$(helper wait-pids "$START_TIMEOUT" "$@")
    if [[ $result != ok ]]; then
        note "$label: ${result#fail }"
        if [[ -s $log ]]; then
            note "$label: supervisor output: $(head -c 300 "$log" | tr '\n' ' ')"
        fi
    fi
    echo "$result"
}

row() {
    helper row "$RESULTS" "$@"
}

# value_of RESULT INDEX: field INDEX (1-based, after "ok") of a helper result,
# or "not working" for a failed one.
value_of() {
    local -a f
    read -r -a f <<<"$1"
    if [[ ${f[0]} == ok ]]; then
        echo "${f[$2]}"
    else
        echo "$NOT_WORKING"
    fi
}

# pair_rows LABEL SECOND OUT: OUT holds a helper's result lines, Debian's
# first and ours second (when ours runs); each line is "ok MEDIAN OTHER" or
# "fail ...". Adds the rows "LABEL, median (ms)" and "LABEL, SECOND (ms)".
pair_rows() {
    local label=$1 second=$2 deb ours lines
    mapfile -t lines <<<"$3"
    deb=${lines[0]}
    ours="fail runsv did not start its service"
    if ((ours_ok)); then ours=${lines[1]}; fi
    report_failure "debian" "$deb"
    report_failure "ours" "$ours"
    row "$label, median (ms)" "$(value_of "$deb" 1)" "$(value_of "$ours" 1)"
    row "$label, $second (ms)" "$(value_of "$deb" 2)" "$(value_of "$ours" 2)"
}

# report_failure LABEL RESULT: explain a "fail" result on stderr.
report_failure() {
    [[ $2 == ok* ]] || note "$1: ${2#fail }"
}

echo "runit-rs supervise benchmark"
echo "  debian: $DEBIAN/runsv, $DEBIAN/sv"
echo "  ours:   $OURS/runsv, $OURS/sv"
echo "  scratch: $SCRATCH ($(stat -f -c %T "$SCRATCH")), $(nproc) CPUs"
echo "  N_SERVICES=$N_SERVICES N_RESTARTS=$N_RESTARTS N_ROUNDTRIPS=$N_ROUNDTRIPS N_STATUS=$N_STATUS"
echo

# --- 1. private memory per idle runsv ----------------------------------------

# measure_memory SUITE RUNSV: sets MEM_RESULT to a helper result line
# ("ok" and 6 numbers). Runs in this shell, not in a $(...) subshell, so that
# the cleanup trap knows every process group. The suites run one after the
# other, so each is measured alone.
measure_memory() {
    local suite=$1 runsv=$2 i dir log=$SCRATCH/$1-mem.log
    local -a dirs=() pids=()
    : >"$log"
    for ((i = 0; i < N_SERVICES; i++)); do
        dir=$SCRATCH/$suite-mem/s$i
        make_service "$dir"
        dirs+=("$dir")
    done
    for dir in "${dirs[@]}"; do
        start_runsv "$runsv" "$dir" "$log"
        pids+=("$STARTED_PID")
    done
    MEM_RESULT=$(wait_started "$suite runsv" "$log" "${dirs[@]}")
    if [[ $MEM_RESULT == ok ]]; then
        sleep 1 # let every runsv finish its startup writes
        MEM_RESULT=$(helper smaps "${pids[@]}")
        report_failure "$suite" "$MEM_RESULT"
    fi
    kill_groups
}

echo "== 1. private memory of $N_SERVICES idle runsv (KiB per process)"
measure_memory debian "$DEBIAN/runsv"
mem_deb=$MEM_RESULT
measure_memory ours "$OURS/runsv"
mem_ours=$MEM_RESULT
row "runsv Private_Dirty, mean (KiB)" "$(value_of "$mem_deb" 1)" "$(value_of "$mem_ours" 1)"
row "runsv Private_Dirty, median (KiB)" "$(value_of "$mem_deb" 2)" "$(value_of "$mem_ours" 2)"
row "runsv private total (Clean+Dirty), mean (KiB)" "$(value_of "$mem_deb" 3)" "$(value_of "$mem_ours" 3)"
row "runsv private total (Clean+Dirty), median (KiB)" "$(value_of "$mem_deb" 4)" "$(value_of "$mem_ours" 4)"
row "runsv Pss, mean (KiB)" "$(value_of "$mem_deb" 5)" "$(value_of "$mem_ours" 5)"
row "runsv Pss, median (KiB)" "$(value_of "$mem_deb" 6)" "$(value_of "$mem_ours" 6)"
echo

# --- long-lived services for measurements 2 to 4 -----------------------------

# One service per suite, plus a second Debian one for our sv to drive (the sv
# round trips of different pairings are interleaved, so each needs its own).
DEB_SVC=$SCRATCH/debian-one/svc
OURS_SVC=$SCRATCH/ours-one/svc
MIXED_SVC=$SCRATCH/debian-two/svc
make_service "$DEB_SVC"
make_service "$OURS_SVC"
make_service "$MIXED_SVC"
start_runsv "$DEBIAN/runsv" "$DEB_SVC" "$SCRATCH/debian-one.log"
DEB_PID=$STARTED_PID
start_runsv "$OURS/runsv" "$OURS_SVC" "$SCRATCH/ours-one.log"
OURS_PID=$STARTED_PID
start_runsv "$DEBIAN/runsv" "$MIXED_SVC" "$SCRATCH/debian-two.log"

deb_ok=1 ours_ok=1
[[ $(wait_started "debian runsv" "$SCRATCH/debian-one.log" "$DEB_SVC" "$MIXED_SVC") == ok ]] || deb_ok=0
[[ $(wait_started "ours runsv" "$SCRATCH/ours-one.log" "$OURS_SVC") == ok ]] || ours_ok=0
# Without a working reference there is nothing to compare against.
((deb_ok)) || fatal "Debian's runsv did not start its service; the harness is broken"

# --- 2. idle wake-ups (first, while nothing else has touched the services) ----

echo "== 2. idle wake-ups of runsv over ${IDLE_SECONDS} s"
sleep 1 # past the start-up activity
ctxt_deb0=$(helper ctxt "$DEB_PID")
ctxt_ours0="fail runsv not running"
if ((ours_ok)); then ctxt_ours0=$(helper ctxt "$OURS_PID"); fi
sleep "$IDLE_SECONDS"
ctxt_deb1=$(helper ctxt "$DEB_PID")
ctxt_ours1="fail runsv not running"
if ((ours_ok)); then ctxt_ours1=$(helper ctxt "$OURS_PID"); fi

# ctxt_delta BEFORE AFTER INDEX: difference of one counter, or "not working".
ctxt_delta() {
    local a b
    a=$(value_of "$1" "$3")
    b=$(value_of "$2" "$3")
    if [[ $a == "$NOT_WORKING" || $b == "$NOT_WORKING" ]]; then
        echo "$NOT_WORKING"
    else
        echo $((b - a))
    fi
}
report_failure "debian" "$ctxt_deb1"
report_failure "ours" "$ctxt_ours1"
row "idle runsv voluntary ctxt switches in ${IDLE_SECONDS} s" \
    "$(ctxt_delta "$ctxt_deb0" "$ctxt_deb1" 1)" "$(ctxt_delta "$ctxt_ours0" "$ctxt_ours1" 1)"
row "idle runsv nonvoluntary ctxt switches in ${IDLE_SECONDS} s" \
    "$(ctxt_delta "$ctxt_deb0" "$ctxt_deb1" 2)" "$(ctxt_delta "$ctxt_ours0" "$ctxt_ours1" 2)"

# Syscalls are counted after the context switches, because attaching a
# tracer itself wakes the process up.
if [[ -n $STRACE ]]; then
    # strace_start SUITE PID: trace in the background; sets STRACE_PID.
    strace_start() {
        "$STRACE" -c -o "$SCRATCH/$1.strace" -p "$2" 2>"$SCRATCH/$1.strace.err" &
        STRACE_PID=$!
        BGPIDS+=("$STRACE_PID")
    }
    # strace_count SUITE: the syscall count of a finished trace, or
    # "not working" if strace could not attach.
    strace_count() {
        if grep -q attached "$SCRATCH/$1.strace.err"; then
            helper strace-total "$SCRATCH/$1.strace"
        else
            note "$1: strace could not attach: $(head -c 200 "$SCRATCH/$1.strace.err")"
            echo "$NOT_WORKING"
        fi
    }
    strace_start debian "$DEB_PID"
    if ((ours_ok)); then strace_start ours "$OURS_PID"; fi
    sleep "$STRACE_SECONDS"
    # TERM makes strace detach and write its summary; it then re-raises TERM,
    # so its exit status says nothing.
    for p in "${BGPIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    BGPIDS=()
    sc_deb=$(strace_count debian)
    sc_ours=$NOT_WORKING
    if ((ours_ok)); then sc_ours=$(strace_count ours); fi
    row "idle runsv syscalls in ${STRACE_SECONDS} s (strace -c)" "$sc_deb" "$sc_ours"
else
    note "strace not installed: syscall count skipped"
fi
echo

# --- 3. restart latency after a crash ----------------------------------------

echo "== 3. restart after kill -9 of a service up > 1.1 s ($N_RESTARTS times)"
# Both services are crashed in turn by one helper, so they share conditions.
svcs=("$DEB_SVC")
if ((ours_ok)); then svcs+=("$OURS_SVC"); fi
pair_rows "restart after crash" p90 "$(helper restart "$N_RESTARTS" "${svcs[@]}")"
echo

# --- 3b. a command during the restart throttle ------------------------------

echo "== 3b. sv down sent during the one-second restart throttle ($N_THROTTLE times)"
# A crash loop: ./run exits at once, so runsv throttles every restart.
for suite in debian ours; do
    d=$SCRATCH/throttle-$suite
    mkdir -p "$d"
    printf '#!/bin/sh\nexit 1\n' >"$d/run"
    chmod 755 "$d/run"
    touch "$d/down"
done
start_runsv "$DEBIAN/runsv" "$SCRATCH/throttle-debian" "$SCRATCH/throttle-debian.log"
thr_dirs=("$SCRATCH/throttle-debian")
if ((ours_ok)); then
    start_runsv "$OURS/runsv" "$SCRATCH/throttle-ours" "$SCRATCH/throttle-ours.log"
    thr_dirs+=("$SCRATCH/throttle-ours")
fi
helper wait-supervised "$START_TIMEOUT" "${thr_dirs[@]}" >/dev/null
pair_rows "sv down during restart throttle" max "$(helper throttle "$N_THROTTLE" "${thr_dirs[@]}")"
echo

# --- 4. sv control round trip ------------------------------------------------

echo "== 4. sv round trips ($N_ROUNDTRIPS x 'sv -w 10 down' + 'sv -w 10 up', $N_STATUS x 'sv status')"
have_our_sv=1
if [[ ! -x $OURS/sv ]]; then
    note "$OURS/sv not found or not executable"
    have_our_sv=0
fi

# Results of pairings that cannot run at all.
rt_ours="fail our runsv did not start its service"
((have_our_sv)) || rt_ours="fail $OURS/sv is missing"
rt_mixed="fail $OURS/sv is missing"
st_ours=$rt_ours st_mixed=$rt_mixed

# All pairings in one helper call, interleaved round by round.
pairs=("$DEBIAN/sv" "$DEB_SVC")
if ((ours_ok && have_our_sv)); then pairs+=("$OURS/sv" "$OURS_SVC"); fi
if ((have_our_sv)); then pairs+=("$OURS/sv" "$MIXED_SVC"); fi
out=$(helper roundtrip "$N_ROUNDTRIPS" "${pairs[@]}")
mapfile -t rt <<<"$out"
rt_deb=${rt[0]}
i=1
if ((ours_ok && have_our_sv)); then
    rt_ours=${rt[i]}
    i=$((i + 1))
fi
if ((have_our_sv)); then rt_mixed=${rt[i]}; fi

st_deb=$(helper svstatus "$N_STATUS" "$DEBIAN/sv" "$DEB_SVC")
if ((ours_ok && have_our_sv)); then st_ours=$(helper svstatus "$N_STATUS" "$OURS/sv" "$OURS_SVC"); fi
if ((have_our_sv)); then st_mixed=$(helper svstatus "$N_STATUS" "$OURS/sv" "$MIXED_SVC"); fi

report_failure "debian sv -w on debian runsv" "$rt_deb"
report_failure "debian sv status on debian runsv" "$st_deb"
report_failure "our sv -w on our runsv" "$rt_ours"
report_failure "our sv status on our runsv" "$st_ours"
report_failure "our sv -w on debian runsv" "$rt_mixed"
report_failure "our sv status on debian runsv" "$st_mixed"
row "sv -w 10 down, median (ms)" "$(value_of "$rt_deb" 1)" "$(value_of "$rt_ours" 1)"
row "sv -w 10 up, median (ms)" "$(value_of "$rt_deb" 2)" "$(value_of "$rt_ours" 2)"
# Debian's sv either finds the new state at its first look or 420 ms later,
# so the median alone can hide a slow half.
row "sv -w 10 down, p90 (ms)" "$(value_of "$rt_deb" 3)" "$(value_of "$rt_ours" 3)"
row "sv -w 10 up, p90 (ms)" "$(value_of "$rt_deb" 4)" "$(value_of "$rt_ours" 4)"
row "sv status, median (ms)" "$(value_of "$st_deb" 1)" "$(value_of "$st_ours" 1)"
# Extra rows: ours = our sv driving Debian's runsv, against Debian's own pair.
row "sv -w 10 down, our sv on Debian runsv, median (ms)" "$(value_of "$rt_deb" 1)" "$(value_of "$rt_mixed" 1)"
row "sv -w 10 up, our sv on Debian runsv, median (ms)" "$(value_of "$rt_deb" 2)" "$(value_of "$rt_mixed" 2)"
row "sv status, our sv on Debian runsv, median (ms)" "$(value_of "$st_deb" 1)" "$(value_of "$st_mixed" 1)"
echo

# --- summary -----------------------------------------------------------------

echo "== summary (ours/debian: lower is better for every row)"
helper table "$RESULTS"
