#!/bin/bash
# Race `skiff-runc exec` against `runc exec` and `crun exec`: /bin/true exec'd into a running
# busybox container (one container per runtime, `sleep` as init), N execs each, the contestants
# alternating (A B C A B C ...). Reports the median wall time per exec, p10/p90, the ratios, and
# the peak RSS of the runtime process during an exec. See bench/README.md.
#
#   bench/exec-bench.sh [-n RUNS] [--reexec] [--bare] [--loop K]
#
# Every exec runs in a private mount namespace, as in run-bench.sh: crun's with a tmpfs over the
# cgroup2 mount (it refuses this hybrid host otherwise), the others' without (--bare: none, crun
# left out). --loop K times K execs in a row inside one such namespace and reports the time per
# exec. The wrappers' own cost is measured and reported.
#
# skiff-runc races as scripts/install.sh leaves it: an immutable copy (chattr +i), which runs as
# is. --reexec races the binary as built instead, which re-executes itself from a sealed view
# before each create and exec (the CVE-2019-5736 defence for a writable binary).
#
# Env: SKIFF_RUNC (default: artifacts/bin/skiff-runc of this checkout, else skiff-runc on PATH),
#      RUNC (default /usr/sbin/runc).
set -euo pipefail

bench=exec-bench
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=200
reexec=0
bare=0
loop=1
while [ $# -gt 0 ]; do
    case $1 in
        -n|--runs) runs=$2; shift 2 ;;
        --reexec) reexec=1; shift ;;
        --bare) bare=1; shift ;;
        --loop) loop=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "exec-bench: unknown argument $1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (containers, cgroups, mounts)"
for tool in unshare hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done

add_contestant skiff-runc "$(find_skiff_runc)"
[ ${#names[@]} -eq 1 ] || die "skiff-runc not built: run scripts/build.sh"
add_contestant runc "${RUNC:-/usr/sbin/runc}"
[ ${#names[@]} -eq 2 ] || die "runc not found at ${RUNC:-/usr/sbin/runc}"
[ "$bare" -eq 1 ] || add_contestant crun "${CRUN:-/usr/bin/crun}"
add_baseline

start_work skiff-exec-bench
report=$results_dir/exec-$(date -u +%Y%m%dT%H%M%SZ).txt
if [ "$reexec" -eq 0 ]; then race_installed; fi

sh "$repo/scripts/make-busybox-bundle.sh" "$work/bundle" /bin/sleep 3600 >/dev/null

# wrapped INDEX SCRIPT ARGS...: SCRIPT (sh) in contestant INDEX's private mount namespace.
wrapped() {
    local i=$1 script=$2; shift 2
    if [ "${names[$i]}" = crun ]; then unshare -m sh -c "mount -t tmpfs none /sys/fs/cgroup/unified && $script" sh "$@"
    elif [ "$bare" -eq 0 ]; then unshare -m sh -c "$script" sh "$@"
    else sh -c "$script" sh "$@"; fi
}

for i in "${!names[@]}"; do
    n=${names[$i]}
    bundle_for "$n"
    wrapped "$i" 'exec "$1" --root "$2" run -d --bundle "$3" "$4"' "${bins[$i]}" "$work/root-$n" "$work/$n" "c-$token" </dev/null >/dev/null 2>&1 ||
        die "$n could not start the container"
done

# One timed unit: LOOP execs over "$1" BINARY "$2" ROOT "$3" ID "$4" LOOP; $PEAK prefixes each exec when set.
unit='i=0; while [ $i -lt "$4" ]; do i=$((i + 1)); $PEAK "$1" --root "$2" exec "$3" /bin/true || exit 1; done'
PEAK=
exec_once() { # INDEX -> appends ms per exec to $work/times-NAME
    local i=$1 n=${names[$1]} t0 t1
    t0=$EPOCHREALTIME
    wrapped "$i" "$unit" "${bins[$i]}" "$work/root-$n" "c-$token" "$loop" </dev/null >/dev/null 2>>"$work/err-$n" ||
        die "$n exec failed: $(tail -1 "$work/err-$n")"
    t1=$EPOCHREALTIME
    elapsed_ms "$t0" "$t1" | awk -v k="$loop" '{printf "%.3f\n", $1 / k}' >>"$work/times-$n"
}
runs=$(( (runs + loop - 1) / loop ))

load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for w in 1 2 3 4 5 6 7 8 9 10; do for i in "${!names[@]}"; do exec_once "$i"; done; done
for n in "${names[@]}"; do : >"$work/times-$n"; done
echo "exec-bench: $runs execs each, alternating ${names[*]}" >&2
for ((r = 1; r <= runs; r++)); do for i in "${!names[@]}"; do exec_once "$i"; done; done
for ((r = 1; r <= 20; r++)); do
    for i in "${!names[@]}"; do
        PEAK="/usr/bin/time -f %M -a -o $work/rss-${names[$i]}" wrapped "$i" "$unit" "${bins[$i]}" "$work/root-${names[$i]}" "c-$token" 1 </dev/null >/dev/null 2>&1
    done
done
hyperfine -N --style none --warmup 10 --runs 100 --export-json "$work/wrappers.json" \
    "unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup/unified && exec /bin/true'" \
    "unshare -m sh -c 'exec /bin/true'" >/dev/null 2>&1
read -r crun_wrapper_ms plain_wrapper_ms < <(grep -o '"median": *[0-9.e+-]*' "$work/wrappers.json" |
    awk -F: '{printf "%.2f ", $2 * 1000} END {print ""}')

{
    echo "skiff bench: \`exec\` of /bin/true into a running busybox container"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(uname -r), $(nproc) cores, load average at start $load_at_start"
    echo "runs: $runs timed units per runtime ($loop exec(s) each, in one private mount namespace$([ "$bare" -eq 1 ] && echo ", bare: none")), alternating, after 10 warm-up units; peak RSS over 20 execs"
    echo "wrappers alone: ${crun_wrapper_ms} ms (crun's, with the tmpfs mount), ${plain_wrapper_ms} ms (the others'); per exec: divided by $loop"
    echo
    printf '%-11s %10s %8s %8s %18s %16s  %s\n' runtime "median ms" p10 p90 "median - wrapper" "peak RSS (KiB)" version
    for i in "${!names[@]}"; do
        n=${names[$i]}
        m=$(median "$work/times-$n")
        if [ "$n" = crun ]; then w=$crun_wrapper_ms; elif [ "$bare" -eq 0 ]; then w=$plain_wrapper_ms; else w=0; fi
        net=$(awk -v a="$m" -v b="$w" -v k="$loop" 'BEGIN {printf "%.2f", a - b / k}')
        echo "$m" >"$work/median-$n"; echo "$net" >"$work/net-$n"
        printf '%-11s %10s %8s %8s %18s %16s  %s\n' "$n" "$m" "$(pct "$work/times-$n" 0.1)" \
            "$(pct "$work/times-$n" 0.9)" "$net" "$(median "$work/rss-$n" | awk '{printf "%d", $1}')" "$("${bins[$i]}" --version | head -1)"
    done
    echo
    for n in "${names[@]:1}"; do
        awk -v a="$(cat "$work/median-skiff-runc")" -v b="$(cat "$work/median-$n")" -v na="$(cat "$work/net-skiff-runc")" -v nb="$(cat "$work/net-$n")" -v s="$n" \
            'BEGIN {printf "skiff-runc / %s: %.2f (wall)  %.2f (minus wrapper)\n", s, a / b, na / nb}'
    done
} | tee "$report"
echo "exec-bench: report saved to ${report#"$repo"/}" >&2
