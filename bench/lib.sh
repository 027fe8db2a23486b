# Shared by the bench scripts (sourced; set $bench, the script's name for messages, first): the
# contestants, a private work directory and cgroup parent removed at exit, bundles, statistics.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
names=() bins=()

die() { echo "$bench: $*" >&2; exit 1; }

# skiff-runc: $SKIFF_RUNC, else this checkout's build, else skiff-runc on PATH; prints nothing when none.
find_skiff_runc() {
    local skiff=${SKIFF_RUNC:-}
    if [ -z "$skiff" ]; then
        if [ -x "$repo/artifacts/bin/skiff-runc" ]; then skiff=$repo/artifacts/bin/skiff-runc
        else skiff=$(command -v skiff-runc || true); fi
    fi
    if [ -n "$skiff" ] && [ -x "$skiff" ]; then echo "$skiff"; fi
}

# add_contestant NAME BINARY: NAME races when BINARY is an executable.
add_contestant() {
    if [ -n "$2" ] && [ -x "$2" ]; then names+=("$1"); bins+=("$2"); fi
}

# start_work PREFIX: sets $token, $work (0755: containers traverse it), $cgroup_parent and
# $results_dir, and removes all of it, with every container made there, at exit.
start_work() {
    token=$(head -c 5 /dev/urandom | od -An -tx1 | tr -d ' \n')
    work=$(mktemp -d "/tmp/$1-$token.XXXX")
    chmod 755 "$work"
    cgroup_parent=$1-$token
    results_dir=$repo/bench/results
    mkdir -p "$results_dir"
    trap cleanup_work EXIT
}

cleanup_work() {
    set +e
    local i root id h
    for i in "${!names[@]}"; do
        root=$work/root-${names[$i]}
        [ -d "$root" ] || continue
        for id in $(ls "$root" 2>/dev/null); do
            if [ "${names[$i]}" = crun ]; then
                unshare -m sh -c "$crun_wrapper" sh "${bins[$i]}" --root "$root" delete --force "$id" >/dev/null 2>&1
            else
                "${bins[$i]}" --root "$root" delete --force "$id" >/dev/null 2>&1
            fi
        done
    done
    for h in /sys/fs/cgroup/*/; do
        [ -d "$h$cgroup_parent" ] && find "$h$cgroup_parent" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    chattr -i "$work"/*-installed 2>/dev/null
    rm -rf "$work"
}

# add_baseline: $SKIFF_RUNC_BASE, when set, races as "skiff-base" (an older build, for before/after
# figures from the same minutes).
add_baseline() {
    [ -z "${SKIFF_RUNC_BASE:-}" ] || add_contestant skiff-base "$SKIFF_RUNC_BASE"
}

# race_installed: skiff-runc (and skiff-base) race as scripts/install.sh leaves them, an immutable
# copy, which runs as is; the binary as built re-executes itself from a sealed view instead.
race_installed() {
    local i
    for i in "${!names[@]}"; do
        case ${names[$i]} in skiff-runc|skiff-base) ;; *) continue ;; esac
        cp "${bins[$i]}" "$work/${names[$i]}-installed"
        chattr +i "$work/${names[$i]}-installed" || die "chattr +i failed (e2fsprogs, a file system with the attribute): use --reexec"
        bins[$i]=$work/${names[$i]}-installed
    done
}

# bundle_for NAME: the bundle $work/NAME, $work/bundle's config with a cgroupsPath of its own
# under the private parent, and its rootfs (hard links: busybox is shared, never written).
bundle_for() {
    mkdir -p "$work/$1"
    [ -e "$work/$1/rootfs" ] || cp -a --link "$work/bundle/rootfs" "$work/$1/rootfs"
    sed "s|\"linux\": {|\"linux\": {\n\t\t\"cgroupsPath\": \"/$cgroup_parent/$1\",|" "$work/bundle/config.json" > "$work/$1/config.json"
}

# crun 1.8.1 refuses hybrid cgroup hosts; in a private mount namespace whose cgroup2 mount is covered
# by a tmpfs it sees a v1 host and runs: `unshare -m sh -c "$crun_wrapper" sh crun ...`.
crun_wrapper='mount -t tmpfs none /sys/fs/cgroup/unified && exec "$@"'

# elapsed_ms T0 T1: milliseconds between two $EPOCHREALTIME readings.
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f\n", (b - a) * 1000}'; }

# median FILE and pct FILE P: of the numbers in FILE, one a line.
median() { sort -n "$1" | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) printf "%.2f", a[(NR+1)/2]; else printf "%.2f", (a[NR/2] + a[NR/2+1]) / 2}'; }
pct() { sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i = int(NR * p); if (i < 1) i = 1; printf "%.2f", a[i]}'; }

# pids_of_work: processes whose command line names $work (conmons, exit commands, aardvark-dns;
# containers' own processes are found through their conmon), less this script and the pids in
# $keep_pids (helpers a bench keeps for its whole run). The pattern's first character is bracketed
# so that grep's own command line, which holds the pattern and not the path, does not match.
keep_pids=""
pids_of_work() {
    local p exclude=(-e "$$")
    for p in $keep_pids; do exclude+=(-e "$p"); done
    grep -al -e "[${work:0:1}]${work:1}" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | grep -vx "${exclude[@]}" || true
}

# quiesce: waits (4 s at most) until no process of this bench is left from the last command (the
# exit command conmon starts after a container's exit runs on after `run --rm` has returned): one
# contestant's tail must not run in the next one's timing. Prints how long that took, in ms.
quiesce() {
    local t0=$EPOCHREALTIME i
    for i in $(seq 400); do
        [ -n "$(pids_of_work)" ] || break
        sleep 0.01
    done
    elapsed_ms "$t0" "$EPOCHREALTIME"
}

# alternate ROUNDS WARMUP FUNCTION CONTESTANT...: WARMUP + ROUNDS rounds, each calling
# `FUNCTION CONTESTANT RECORD` once per contestant, in an order that rotates every round (no
# contestant always follows the same one); RECORD is 0 in the warm-up rounds, 1 after.
alternate() {
    local rounds=$1 warmup=$2 fn=$3 r k
    shift 3
    local contestants=("$@")
    for ((r = 0; r < warmup + rounds; r++)); do
        for ((k = 0; k < ${#contestants[@]}; k++)); do
            "$fn" "${contestants[$(((k + r) % ${#contestants[@]}))]}" $((r >= warmup ? 1 : 0))
        done
    done
}
