#!/bin/bash
# Race `skiff-runc exec` against `runc exec`: /bin/true exec'd into a running busybox container
# (one container per runtime, `sleep` as init), N execs each, the contestants alternating
# (A B A B ...). Reports the median wall time per exec, p10/p90, the ratio, and the peak RSS of the
# runtime process during an exec. See bench/README.md.
#
#   bench/exec-bench.sh [-n RUNS] [--reexec]
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
while [ $# -gt 0 ]; do
    case $1 in
        -n|--runs) runs=$2; shift 2 ;;
        --reexec) reexec=1; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "exec-bench: unknown argument $1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (containers, cgroups, mounts)"
command -v /usr/bin/time >/dev/null || die "/usr/bin/time not found: run scripts/install-deps.sh"

add_contestant skiff-runc "$(find_skiff_runc)"
[ ${#names[@]} -eq 1 ] || die "skiff-runc not built: run scripts/build.sh"
add_contestant runc "${RUNC:-/usr/sbin/runc}"
[ ${#names[@]} -eq 2 ] || die "runc not found at ${RUNC:-/usr/sbin/runc}"

start_work skiff-exec-bench
report=$results_dir/exec-$(date -u +%Y%m%dT%H%M%SZ).txt
if [ "$reexec" -eq 0 ]; then race_installed; fi

sh "$repo/scripts/make-busybox-bundle.sh" "$work/bundle" /bin/sleep 3600 >/dev/null
for i in "${!names[@]}"; do
    n=${names[$i]}
    bundle_for "$n"
    "${bins[$i]}" --root "$work/root-$n" run -d --bundle "$work/$n" "c-$token" </dev/null >/dev/null 2>&1 ||
        die "$n could not start the container"
done

exec_once() { # INDEX -> appends ms to $work/times-NAME
    local i=$1 n=${names[$1]} t0 t1
    t0=$EPOCHREALTIME
    "${bins[$i]}" --root "$work/root-$n" exec "c-$token" /bin/true </dev/null >/dev/null 2>>"$work/err-$n" ||
        die "$n exec failed: $(tail -1 "$work/err-$n")"
    t1=$EPOCHREALTIME
    elapsed_ms "$t0" "$t1" >>"$work/times-$n"
}

load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for w in 1 2 3 4 5 6 7 8 9 10; do for i in "${!names[@]}"; do exec_once "$i"; done; done
for n in "${names[@]}"; do : >"$work/times-$n"; done
echo "exec-bench: $runs execs each, alternating ${names[*]}" >&2
for ((r = 1; r <= runs; r++)); do for i in "${!names[@]}"; do exec_once "$i"; done; done
for ((r = 1; r <= 20; r++)); do
    for i in "${!names[@]}"; do
        /usr/bin/time -f %M -a -o "$work/rss-${names[$i]}" "${bins[$i]}" --root "$work/root-${names[$i]}" exec "c-$token" /bin/true </dev/null >/dev/null 2>&1
    done
done

{
    echo "skiff bench: \`exec\` of /bin/true into a running busybox container"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(uname -r), $(nproc) cores, load average at start $load_at_start"
    echo "runs: $runs per runtime, alternating, after 10 warm-up execs each; peak RSS over 20 execs"
    echo
    printf '%-11s %10s %8s %8s %16s  %s\n' runtime "median ms" p10 p90 "peak RSS (KiB)" version
    for i in "${!names[@]}"; do
        n=${names[$i]}
        printf '%-11s %10s %8s %8s %16s  %s\n' "$n" "$(median "$work/times-$n")" "$(pct "$work/times-$n" 0.1)" \
            "$(pct "$work/times-$n" 0.9)" "$(median "$work/rss-$n" | awk '{printf "%d", $1}')" "$("${bins[$i]}" --version | head -1)"
    done
    echo
    awk -v a="$(median "$work/times-skiff-runc")" -v b="$(median "$work/times-runc")" 'BEGIN {printf "skiff-runc / runc: %.2f (median exec wall time)\n", a / b}'
} | tee "$report"
echo "exec-bench: report saved to ${report#"$repo"/}" >&2
