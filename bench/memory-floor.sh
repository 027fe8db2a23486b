#!/bin/bash
# The smallest memory limit under which `RUNTIME run` of a busybox /bin/true bundle still succeeds,
# for skiff-runc, runc and crun (crun in its tmpfs wrapper, see README.md). Bisects the bundle's
# linux.resources.memory.limit (memory.limit_in_bytes here, memory.max on v2; swap held to the same
# value when the kernel accounts it, so nothing can hide in swap) between 0 and 64 MiB down to
# STEP KiB; a limit passes when RUNS runs in a row exit 0.
#
#   bench/memory-floor.sh [--runs RUNS] [--step KIB]
#
# Env: SKIFF_RUNC, RUNC, CRUN as for run-bench.sh.
set -euo pipefail

bench=memory-floor
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tries=3
step=16

while [ $# -gt 0 ]; do
    case $1 in
        --runs) tries=$2; shift 2 ;;
        --step) step=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "memory-floor: unknown argument $1" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (containers, cgroups, mounts)"

add_contestant skiff-runc "$(find_skiff_runc)"
add_contestant runc "${RUNC:-/usr/sbin/runc}"
add_contestant crun "${CRUN:-/usr/bin/crun}"
add_baseline
[ ${#names[@]} -ge 1 ] || die "no runtime found"

start_work skiff-floor
report=$results_dir/floor-$(date -u +%Y%m%dT%H%M%SZ).txt

sh "$repo/scripts/make-busybox-bundle.sh" "$work/bundle" /bin/true >/dev/null
swap=0
[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || [ -e /sys/fs/cgroup/memory.swap.max ] && swap=1

# config NAME BYTES: the bundle of NAME with a memory limit of BYTES.
config() {
    local memory="\"limit\": $2"
    [ "$swap" -eq 1 ] && memory="$memory, \"swap\": $2"
    bundle_for "$1"
    sed -i "s|\"resources\": {|\"resources\": { \"memory\": { $memory },|" "$work/$1/config.json"
}

count=0
# passes INDEX BYTES: whether TRIES runs in a row succeed under that limit.
passes() {
    local i=$1 n=${names[$1]} bin=${bins[$1]} t
    config "$n" "$2"
    for ((t = 0; t < tries; t++)); do
        count=$((count + 1))
        local cmd=(timeout 30 "$bin" --root "$work/root-$n" run --bundle "$work/$n" "f$count-$token")
        if [ "$n" = crun ]; then
            unshare -m sh -c "$crun_wrapper" sh "${cmd[@]}" </dev/null >"$work/out" 2>&1 || return 1
        else
            "${cmd[@]}" </dev/null >"$work/out" 2>&1 || return 1
        fi
    done
}

{
    echo "skiff bench: the smallest memory limit under which \`run\` of a busybox /bin/true bundle succeeds"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(uname -r), $(nproc) cores; $tries runs in a row per limit, step $step KiB, swap limited too: $([ $swap -eq 1 ] && echo yes || echo no)"
    printf '%-11s %14s %16s  %s\n' runtime "floor (KiB)" "fails at (KiB)" version
    for i in "${!names[@]}"; do
        lo=0 hi=65536
        passes "$i" $((hi * 1024)) || { printf '%-11s %14s\n' "${names[$i]}" "> $hi"; continue; }
        while [ $((hi - lo)) -gt "$step" ]; do
            mid=$(( (lo + hi) / 2 / step * step ))
            [ "$mid" -le "$lo" ] && mid=$((lo + step))
            if passes "$i" $((mid * 1024)); then hi=$mid; else lo=$mid; fi
        done
        printf '%-11s %14s %16s  %s\n' "${names[$i]}" "$hi" "$lo" "$("${bins[$i]}" --version 2>/dev/null | head -1)"
    done
} | tee "$report"
echo "memory-floor: report saved to ${report#"$repo"/}" >&2
