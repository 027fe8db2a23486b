#!/bin/bash
# Race skiff-runc against runc and crun: `run` of a busybox /bin/true bundle, N sequential runs,
# the contestants alternating (A B C A B C ...), each with its own --root and a fresh id per run.
# Reports the median wall time per container, the ratio of skiff-runc to each, and the peak RSS of
# the runtime process. See bench/README.md.
#
#   bench/run-bench.sh [-n RUNS] [--rss-runs M] [--bare] [--limits] [--reexec] [--split | --loop K]
#
# --split times create, start and delete --force as three processes (what containerd's shim and
# conmon do) instead of one `run`. --loop K runs K containers in a row inside one private mount
# namespace per timed unit (the wrapper paid once per K, not per run) and reports the time per
# container; RUNS is rounded up to whole loops.
#
# skiff-runc races as scripts/install.sh leaves it: an immutable copy (chattr +i), which runs as
# is. --reexec races the binary as built instead, which re-executes itself from a sealed view
# before each create and exec (the CVE-2019-5736 defence for a writable binary).
#
# --limits sets a memory limit (256 MiB) and a pids limit (128) in every bundle, so the cost of
# writing them into the cgroup shows next to runc's and crun's.
#
# Env: SKIFF_RUNC (default: artifacts/bin/skiff-runc of this checkout, else skiff-runc on PATH),
#      RUNC (default /usr/sbin/runc), CRUN (default /usr/bin/crun), SKIFF_RUNC_BASE (an older
#      skiff-runc raced as "skiff-base", for before/after figures).
set -euo pipefail

bench=run-bench
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=200
reexec=0
rss_runs=20
bare=0
limits=0
mode=run
loop=1

while [ $# -gt 0 ]; do
    case $1 in
        -n|--runs) runs=$2; shift 2 ;;
        --rss-runs) rss_runs=$2; shift 2 ;;
        --bare) bare=1; shift ;;
        --reexec) reexec=1; shift ;;
        --limits) limits=1; shift ;;
        --split) mode=split; shift ;;
        --loop) mode=loop; loop=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "run-bench: unknown argument $1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (containers, cgroups, mounts)"
for tool in unshare hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done

# The contestants. skiff-runc is optional so runc and crun can be raced before it exists.
add_contestant skiff-runc "$(find_skiff_runc)"
[ ${#names[@]} -eq 1 ] || echo "run-bench: skiff-runc not built (scripts/build.sh); racing runc and crun only" >&2
add_contestant runc "${RUNC:-/usr/sbin/runc}"
add_contestant crun "${CRUN:-/usr/bin/crun}"
add_baseline
[ ${#names[@]} -ge 2 ] || die "need at least two runtimes to compare"

start_work skiff-bench
report=$results_dir/$(date -u +%Y%m%dT%H%M%SZ).txt
if [ "$reexec" -eq 0 ] && [ "${names[0]}" = skiff-runc ]; then race_installed; fi

# One bundle per runtime (same content): each container gets its own cgroup under a private parent.
sh "$repo/scripts/make-busybox-bundle.sh" "$work/bundle" /bin/true
if [ "$limits" -eq 1 ]; then
    sed -i 's|"resources": {|"resources": { "memory": { "limit": 268435456 }, "pids": { "limit": 128 },|' "$work/bundle/config.json"
    grep -q '"pids": { "limit": 128 }' "$work/bundle/config.json" || die "could not set the limits in the bundle"
fi
for n in "${names[@]}"; do bundle_for "$n"; done

# crun runs in lib.sh's $crun_wrapper (it refuses hybrid hosts). So that the race is fair, the others run in the
# same wrapper less the mount (they handle the hybrid host, and must see it as it is): unshare and
# sh cost every contestant the same. --bare runs runc and skiff-runc without any wrapper. The
# wrapper's own cost, with and without the mount, is measured below and reported.
# Each unit is a sh script over "$1" BINARY "$2" ROOT "$3" BUNDLE "$4" ID "$5" LOOP; $PEAK, when
# set, prefixes the runtime's command (/usr/bin/time for the peak RSS).
case $mode in
    run) unit='exec $PEAK "$1" --root "$2" run --bundle "$3" "$4"' ;;
    split) unit='$PEAK "$1" --root "$2" create --bundle "$3" "$4" </dev/null && $PEAK "$1" --root "$2" start "$4" &&
        $PEAK "$1" --root "$2" delete --force "$4"' ;;
    loop) unit='i=0; while [ $i -lt "$5" ]; do i=$((i + 1)); $PEAK "$1" --root "$2" run --bundle "$3" "$4-$i" || exit 1; done' ;;
esac
[ "$mode" = loop ] && runs=$(( (runs + loop - 1) / loop ))

invoke() { # INDEX ID: one timed unit of contestant INDEX ($PEAK as the caller sets it)
    local i=$1 id=$2
    local n=${names[$i]} bin=${bins[$i]}
    local args=("$bin" "$work/root-$n" "$work/$n" "$id" "$loop")
    if [ "$n" = crun ]; then
        unshare -m sh -c "mount -t tmpfs none /sys/fs/cgroup/unified && $unit" sh "${args[@]}"
    elif [ "$bare" -eq 0 ]; then
        unshare -m sh -c "$unit" sh "${args[@]}"
    else
        sh -c "$unit" sh "${args[@]}"
    fi
}
PEAK=

declare -A failures
for n in "${names[@]}"; do failures[$n]=0; done

run_once() { # INDEX ID -> appends ms to $work/times-NAME
    local i=$1 id=$2 n=${names[$1]} t0 t1
    t0=$EPOCHREALTIME
    if invoke "$i" "$id" </dev/null >>"$work/out-$n.log" 2>&1; then
        t1=$EPOCHREALTIME
        elapsed_ms "$t0" "$t1" | awk -v k="$loop" '{printf "%.3f\n", $1 / k}' >>"$work/times-$n"
    else
        failures[$n]=$((failures[$n] + 1))
        if [ "${failures[$n]}" -ge 3 ]; then
            echo "run-bench: $n failed 3 times; last output:" >&2
            tail -5 "$work/out-$n.log" >&2
            exit 1
        fi
    fi
}

load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run-bench: warming up" >&2
for w in 1 2 3 4 5; do
    for i in "${!names[@]}"; do run_once "$i" "warm-$w-$token"; done
done
for n in "${names[@]}"; do : >"$work/times-$n"; done

echo "run-bench: $runs runs each, alternating ${names[*]}" >&2
for ((r = 1; r <= runs; r++)); do
    for i in "${!names[@]}"; do run_once "$i" "b$r-$token"; done
done

echo "run-bench: peak RSS over $rss_runs runs each" >&2
for ((r = 1; r <= rss_runs; r++)); do
    for i in "${!names[@]}"; do
        n=${names[$i]}
        PEAK="/usr/bin/time -f %M -a -o $work/rss-$n" invoke "$i" "m$r-$token" </dev/null >>"$work/out-$n.log" 2>&1 || true
    done
done

echo "run-bench: measuring the wrappers alone (hyperfine)" >&2
hyperfine -N --style none --warmup 10 --runs 100 --export-json "$work/wrappers.json" \
    "unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec /bin/true'" \
    "unshare -m sh -c 'exec /bin/true'" >/dev/null 2>&1
read -r crun_wrapper_ms plain_wrapper_ms < <(grep -o '"median": *[0-9.e+-]*' "$work/wrappers.json" |
    awk -F: '{printf "%.2f ", $2 * 1000} END {print ""}')

{
    case $mode in
        run) what='`run` of' ;;
        split) what='`create`, `start` and `delete --force` as three processes,' ;;
        loop) what="\`run\`, $loop in a row in one mount namespace per wrapper (times per container), of" ;;
    esac
    echo "skiff bench: $what a busybox /bin/true bundle$([ "$limits" -eq 1 ] && echo ", memory limit 256 MiB and pids limit 128")"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(uname -r), $(nproc) cores, load average at start $load_at_start"
    echo "runs: $runs timed units per runtime ($loop container(s) each), alternating; peak RSS over $rss_runs units (the largest process)"
    echo "crun ran in:   unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec crun ...' (alone: ${crun_wrapper_ms} ms)"
    if [ "$bare" -eq 0 ]; then
        echo "the others in: unshare -m sh -c 'exec RUNTIME ...' (alone: ${plain_wrapper_ms} ms)"
    else
        echo "the others ran bare (--bare)"
    fi
    echo
    printf '%-11s %10s %8s %8s %18s %16s  %s\n' runtime "median ms" p10 p90 "median - wrapper" "peak RSS (KiB)" version
    for i in "${!names[@]}"; do
        n=${names[$i]}
        m=$(median "$work/times-$n")
        net=$m
        if [ "$n" = crun ]; then w=$crun_wrapper_ms; elif [ "$bare" -eq 0 ]; then w=$plain_wrapper_ms; else w=0; fi
        w=$(awk -v a="$w" -v k="$loop" 'BEGIN {printf "%.3f", a / k}')
        net=$(awk -v a="$m" -v b="$w" 'BEGIN {printf "%.2f", a - b}')
        rss=$( [ -s "$work/rss-$n" ] && median "$work/rss-$n" | awk '{printf "%d", $1}' || echo "?")
        version=$("${bins[$i]}" --version 2>/dev/null | head -1)
        printf '%-11s %10s %8s %8s %18s %16s  %s\n' "$n" "$m" "$(pct "$work/times-$n" 0.1)" "$(pct "$work/times-$n" 0.9)" "$net" "$rss" "$version"
        echo "$m" >"$work/median-$n"
        echo "$net" >"$work/net-$n"
    done
    echo
    first=${names[0]}
    for n in "${names[@]:1}"; do
        awk -v a="$(cat "$work/median-$first")" -v b="$(cat "$work/median-$n")" \
            -v na="$(cat "$work/net-$first")" -v nb="$(cat "$work/net-$n")" -v f="$first" -v s="$n" \
            'BEGIN {printf "%s / %s: %.2f (wall)  %.2f (minus wrapper)\n", f, s, a / b, na / nb}'
    done
    for n in "${names[@]}"; do
        [ "${failures[$n]}" -eq 0 ] || echo "$n: ${failures[$n]} failed runs (see above)"
    done
} | tee "$report"
echo "run-bench: report saved to ${report#"$repo"/}" >&2
