#!/bin/bash
# The engine against Podman, in one run: `run --rm busybox true` (skiff and Podman, each with
# skiff-runc and with runc; each runtime's own `run` of a bundle as the floor, and skiff-runc on the
# very spec skiff generates), `ps -a` with 100 running containers, and the host memory that one idle
# detached container leaves behind besides its own process. Contestants alternate; medians,
# percentiles and ratios are printed and saved in bench/results/. See bench/README.md.
#
#   bench/engine.sh [-n RUNS] [--ps-containers N] [--ps-runs M] [--trace-runs T] [--skip-ps]
#
# -n: timed `run --rm` per contestant (default 40); --ps-containers: running containers per engine
# for ps (default 100); --ps-runs: timed `ps -a` per engine (default 30); --trace-runs: runs of
# `skiff run --rm` under perf's sched tracepoints for the timeline of its processes (default 5).
#
# Env: SKIFF (default: artifacts/bin/skiff of this checkout, else skiff on PATH), SKIFF_RUNC (as in
#      lib.sh), RUNC (default /usr/sbin/runc), PODMAN (default podman).
set -euo pipefail

bench=engine
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=40
ps_containers=100
ps_runs=30
trace_runs=5
skip_ps=0

while [ $# -gt 0 ]; do
    case $1 in
        -n|--runs) runs=$2; shift 2 ;;
        --ps-containers) ps_containers=$2; shift 2 ;;
        --ps-runs) ps_runs=$2; shift 2 ;;
        --trace-runs) trace_runs=$2; shift 2 ;;
        --skip-ps) skip_ps=1; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) die "unknown argument $1" ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (containers, cgroups, mounts)"
for tool in strace jq chattr "${PODMAN:-podman}" conmon; do
    command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done

skiff=${SKIFF:-}
if [ -z "$skiff" ]; then
    if [ -x "$repo/artifacts/bin/skiff" ]; then skiff=$repo/artifacts/bin/skiff; else skiff=$(command -v skiff || true); fi
fi
[ -n "$skiff" ] && [ -x "$skiff" ] || die "skiff not built (scripts/build.sh) and not on PATH; or set SKIFF"
skiff_runc_built=$(find_skiff_runc)
[ -n "$skiff_runc_built" ] || die "skiff-runc not built (scripts/build.sh) and not on PATH; or set SKIFF_RUNC"
runc=${RUNC:-/usr/sbin/runc}
[ -x "$runc" ] || die "runc not found at $runc (set RUNC)"
podman_bin=$(command -v "${PODMAN:-podman}")

# lib.sh's cleanup deletes the runtime containers of every contestant in names/bins: the floors'.
add_contestant skiff-runc "$skiff_runc_built"
add_contestant runc "$runc"
start_work skiff-engine
trap cleanup_engine EXIT
report=$results_dir/engine-$(date -u +%Y%m%dT%H%M%SZ).txt
# skiff-runc as scripts/install.sh leaves it (immutable, no sealed re-exec), for every contestant.
race_installed
skiff_runc=${bins[0]}

# --- skiff: a private root, engine config (runtimes table, cgroup parent) ---------------------------
sroot=$work/skiff
sconf=$work/engine.json
cat >"$sconf" <<EOF
{ "default_runtime": "skiff-runc",
  "runtimes": { "skiff-runc": "$skiff_runc", "runc": "$runc" },
  "cgroup_parent": "/$cgroup_parent/skiff" }
EOF
sk() { "$skiff" --root "$sroot" --engine-config "$sconf" "$@"; }

# --- Podman: everything it keeps goes under $work -----------------------------------------------------
# File locks and events (not /dev/shm, not the journal), k8s-file logs (not journald), a private
# network config dir (never read with --network none, but nothing is made in /etc either), cgroupfs
# under our own parent, and no default ulimits: Podman's default nofile is more than this host allows.
# The runroot holds conmon's attach socket path, which must stay short (< 108 bytes): $work/pr.
export CONTAINERS_CONF=$work/containers.conf
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = []
log_driver = "k8s-file"
[engine]
lock_type = "file"
events_logger = "file"
events_logfile_path = "$work/podman-events.log"
image_copy_tmp_dir = "$work/podman-tmp"
cgroup_manager = "cgroupfs"
[network]
network_config_dir = "$work/podman-networks"
EOF
pm() {
    "$podman_bin" --root "$work/podman" --runroot "$work/pr" --tmpdir "$work/podman-tmp" \
        --storage-driver overlay --cgroup-manager cgroupfs --events-backend file "$@"
}
pm_run_flags=(--network none --cgroup-parent "/$cgroup_parent/podman")
# The same network for both engines: none (each container gets a private netns with lo only).
# skiff's default is its bridge network, whose wiring (netavark, iptables) network.sh measures.
sk_run_flags=(--network none)
# Rootful Podman makes netavark's run directory, /run/containers/networks, whatever the config says
# (it is shared by all rootful Podmans): removed at exit if it was not there before (rmdir: only
# when empty, so never under another Podman's feet).
made_dirs=()
for d in /run/containers /run/containers/networks /var/lib/containers; do [ -e "$d" ] || made_dirs=("$d" "${made_dirs[@]}"); done

# Everything either engine made: containers (and so conmons, mounts, cgroups), Podman's store and
# its overlay mounts, then lib.sh's work directory and cgroup parent. Runs on any exit.
cleanup_engine() {
    set +e
    trap - EXIT
    if [ -d "$sroot" ]; then
        sk rm -f $(sk ps -aq 2>/dev/null) >/dev/null 2>&1
    fi
    if [ -d "$work/podman" ]; then
        pm rm -a -f -t 0 >/dev/null 2>&1
        pm rmi -a -f >/dev/null 2>&1
    fi
    # Exit commands (skiff/podman container cleanup) still running are ours: their command line
    # names $work, whose name has a random token. Wait for them, then end what is left, by pid.
    local pid tries
    for tries in $(seq 50); do
        [ -n "$(pids_of_work)" ] || break
        sleep 0.1
    done
    for pid in $(pids_of_work); do kill -KILL "$pid" 2>/dev/null; done
    grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
    for d in "${made_dirs[@]}"; do rmdir "$d" 2>/dev/null; done
    cleanup_work
}

echo "engine: setting up ($work)" >&2
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
sk image import-busybox >/dev/null
# The same image in both: skiff's busybox saved as a docker-archive and loaded into Podman.
sk save busybox:latest -o "$work/busybox.tar"
# Copying an image, rootful Podman writes the host's /var/lib/containers/cache/blob-info-cache
# whatever --root says (seen: its mtime moved on a podman load into a private store). The load
# runs in a mount namespace of its own with a tmpfs over /var/lib/containers, so that cache is
# written there and vanishes with it.
mkdir -p /var/lib/containers
unshare -m sh -c 'mount -t tmpfs none /var/lib/containers && exec "$@"' sh \
    "$podman_bin" --root "$work/podman" --runroot "$work/pr" --tmpdir "$work/podman-tmp" \
    --storage-driver overlay --cgroup-manager cgroupfs --events-backend file load -q -i "$work/busybox.tar" >/dev/null
image_id=$(pm images -q --no-trunc busybox:latest | head -1)
[ -n "$image_id" ] || die "Podman did not load busybox:latest"

# The floors: each runtime's own `run` of a busybox bundle (/bin/true), bare, its own cgroup.
sh "$repo/scripts/make-busybox-bundle.sh" "$work/bundle" /bin/true >/dev/null
for n in "${names[@]}"; do bundle_for "$n"; done
# A third floor: skiff-runc's `run` of the very spec skiff generates (Docker's defaults: seccomp
# profile, capabilities, masked paths, /etc files), taken from a container skiff ran, so that what
# the runtime costs for that spec is told apart from what the engine adds around it.
sk run --name spec-source "${sk_run_flags[@]}" busybox true >/dev/null
spec_id=$(sk inspect -f '{{.Id}}' spec-source)
mkdir -p "$work/engine-spec"
cp -a --link "$work/bundle/rootfs" "$work/engine-spec/rootfs"
for f in hosts hostname resolv.conf; do cp "$sroot/containers/$spec_id/$f" "$work/engine-spec/$f"; done
jq --arg b "$work/engine-spec" --arg from "$sroot/containers/$spec_id" --arg cg "/$cgroup_parent/engine-spec" '
    .root.path = "rootfs" | .process.args = ["/bin/true"] | .linux.cgroupsPath = $cg
    | .mounts |= map(if .source | startswith($from) then .source = $b + (.source | ltrimstr($from)) else . end)' \
    "$sroot/containers/$spec_id/config.json" >"$work/engine-spec/config.json"
sk rm spec-source >/dev/null

# --- run --rm ------------------------------------------------------------------------------------
contestants=(skiff/skiff-runc podman/skiff-runc skiff/runc podman/runc floor/skiff-runc floor/runc floor/skiff-runc-engine-spec)
run_cmd() { # CONTESTANT ID: one container's life
    case $1 in
        skiff/skiff-runc) sk run --rm "${sk_run_flags[@]}" busybox true ;;
        skiff/runc) sk run --rm "${sk_run_flags[@]}" --runtime runc busybox true ;;
        podman/skiff-runc) pm run --rm "${pm_run_flags[@]}" --runtime "$skiff_runc" busybox true ;;
        podman/runc) pm run --rm "${pm_run_flags[@]}" --runtime "$runc" busybox true ;;
        floor/skiff-runc) "$skiff_runc" --root "$work/root-skiff-runc" run --bundle "$work/skiff-runc" "$2" ;;
        floor/runc) "$runc" --root "$work/root-runc" run --bundle "$work/runc" "$2" ;;
        floor/skiff-runc-engine-spec) "$skiff_runc" --root "$work/root-skiff-runc" run --bundle "$work/engine-spec" "$2" ;;
    esac
}
file_of() { echo "${1//\//-}"; }
declare -A failures
for c in "${contestants[@]}"; do failures[$c]=0; : >"$work/run-$(file_of "$c")"; : >"$work/settle-$(file_of "$c")"; done
run_once() { # CONTESTANT ID RECORD(0|1)
    local c=$1 f t0 t1 q
    f=$(file_of "$c")
    t0=$EPOCHREALTIME
    if run_cmd "$c" "$2" </dev/null >>"$work/out-$f.log" 2>&1; then
        t1=$EPOCHREALTIME
        q=$(quiesce)
        if [ "$3" -eq 1 ]; then
            elapsed_ms "$t0" "$t1" >>"$work/run-$f"
            awk -v a="$(elapsed_ms "$t0" "$t1")" -v b="$q" 'BEGIN {printf "%.3f\n", a + b}' >>"$work/settle-$f"
        fi
    else
        quiesce >/dev/null
        failures[$c]=$((failures[$c] + 1))
        if [ "${failures[$c]}" -ge 3 ]; then
            echo "engine: $c failed 3 times; last output:" >&2
            tail -5 "$work/out-$f.log" >&2
            exit 1
        fi
    fi
}
echo "engine: run --rm, warming up" >&2
for w in 1 2 3; do for c in "${contestants[@]}"; do run_once "$c" "warm-$w-$token" 0; done; done
echo "engine: run --rm, $runs runs each, alternating ${contestants[*]}" >&2
for ((r = 1; r <= runs; r++)); do
    # The order rotates each round, so that no contestant always follows the same one.
    for ((k = 0; k < ${#contestants[@]}; k++)); do
        c=${contestants[$(((k + r) % ${#contestants[@]}))]}
        run_once "$c" "b$r-$token" 1
    done
done

# --- the timeline of skiff's run --rm, from the scheduler's tracepoints ------------------------------------
# perf records every exec, fork and exit of skiff run and of all it starts (conmon double-forks, but
# stays a descendant), from kernel tracepoints: no ptrace, so the timings are close to untraced ones.
# A tracepoint has the program's path, not its arguments, so the runtime's calls are named by who
# made them and in which order, which is the engine's fixed sequence: skiff run calls start, then
# delete --force (its rm; a container's first start has nothing to delete before create); conmon calls
# create; the exit command waits for skiff run's cleanup claim and then calls no runtime.
timeline_runs=0
if command -v perf >/dev/null && perf list 'sched:*' 2>/dev/null | grep -c sched_process_exec >/dev/null; then
    echo "engine: run --rm timeline, $trace_runs runs under perf's sched tracepoints" >&2
    : >"$work/timeline"
    for ((r = 1; r <= trace_runs; r++)); do
        perf record -q -o "$work/perf-$r.data" -e sched:sched_process_exec -e sched:sched_process_exit -e sched:sched_process_fork -- \
            "$skiff" --root "$sroot" --engine-config "$sconf" run --rm "${sk_run_flags[@]}" busybox true </dev/null >/dev/null 2>"$work/perf-$r.log" || continue
        quiesce >/dev/null
        timeline_runs=$((timeline_runs + 1))
        perf script -i "$work/perf-$r.data" -F trace:comm,pid,tid,time,event,trace 2>/dev/null |
        awk -v runc="$skiff_runc" -v skiff="$skiff" '
        function mark(name, t) { if (!(name in at)) { at[name] = (t - t0) * 1000; order[++n] = name } }
        function owner(pid) {
            for (; pid != ""; pid = parent[pid]) {
                if (pid == cleanup) return "the exit command"
                if (pid == conmon) return "conmon"
                if (pid == cli) return "skiff run"
            }
            return "?"
        }
        {
            if (!match($0, / [0-9]+\/[0-9]+ +[0-9.]+: sched:sched_process_[a-z]+:/)) next
            split(substr($0, RSTART + 1, RLENGTH - 1), f, /[\/ :]+/)
            pid = f[1]; t = f[3]; ev = f[5]
            rest = substr($0, RSTART + RLENGTH)
        }
        ev == "sched_process_fork" { match(rest, /child_pid=[0-9]+/); parent[substr(rest, RSTART + 10, RLENGTH - 10)] = pid; next }
        ev == "sched_process_exec" {
            match(rest, /filename=[^ ]+/); file = substr(rest, RSTART + 9, RLENGTH - 9)
            if (cli == "") { cli = pid; t0 = t; next }
            if (file == "/usr/bin/conmon") { what = "conmon"; conmon = pid }
            else if (file == skiff) { what = "exit command (skiff container cleanup)"; cleanup = pid }
            else if (file == runc) {
                o = owner(pid); k = ++calls[o]
                verb = o == "conmon" ? "create" : o == "skiff run" ? (k == 1 ? "start" : k == 2 ? "delete (rm)" : "call " k) : "delete"
                what = "runtime " verb " by " o
            }
            else if (file ~ /\/true$/) what = "container: true"
            else next
            name[pid] = what
            mark(what " exec", t)
        }
        ev == "sched_process_exit" && /group_dead=true/ {
            if (pid == cli) mark("skiff run exit", t)
            else if (pid in name) mark(name[pid] " exit", t)
            last = t
        }
        END { for (i = 1; i <= n; i++) print order[i] "\t" at[order[i]]; print "last exit\t" (last - t0) * 1000 }
        ' >>"$work/timeline"
        rm -f "$work/perf-$r.data"
    done
else
    echo "engine: no perf with sched tracepoints: no timeline" >&2
fi

# --- skiff's fixed costs: process start, an empty ps, the create/start/rm split ------------------------
echo "engine: skiff's fixed costs" >&2
empty_root=$work/skiff-empty
for ((r = 1; r <= 20; r++)); do
    t0=$EPOCHREALTIME; "$skiff" --version >/dev/null; elapsed_ms "$t0" "$EPOCHREALTIME" >>"$work/fixed-version"
    t0=$EPOCHREALTIME; "$skiff" --root "$empty_root" --engine-config "$sconf" ps -a >/dev/null; elapsed_ms "$t0" "$EPOCHREALTIME" >>"$work/fixed-emptyps"
    t0=$EPOCHREALTIME; "$podman_bin" --version >/dev/null; elapsed_ms "$t0" "$EPOCHREALTIME" >>"$work/fixed-podman-version"
    # Podman's store holds no container at this point (every run above was --rm).
    t0=$EPOCHREALTIME; pm ps -a >/dev/null; elapsed_ms "$t0" "$EPOCHREALTIME" >>"$work/fixed-podman-emptyps"
    t0=$EPOCHREALTIME; id=$(sk create "${sk_run_flags[@]}" busybox true); t1=$EPOCHREALTIME
    sk start -a "$id" >/dev/null; t2=$EPOCHREALTIME
    quiesce >/dev/null; t3=$EPOCHREALTIME
    sk rm "$id" >/dev/null; t4=$EPOCHREALTIME
    elapsed_ms "$t0" "$t1" >>"$work/fixed-create"
    elapsed_ms "$t1" "$t2" >>"$work/fixed-start"
    elapsed_ms "$t3" "$t4" >>"$work/fixed-rm"
done

# --- idle memory: one detached `sleep` per engine, what stays besides the container's process ---------
# kB from /proc/PID/smaps_rollup: Rss (what the process maps in), Pss (shared pages divided among
# their users: what it adds to the host), and Private (its own pages: what its exit would free).
idle_memory() { # ENGINE CONTAINER_PID -> lines "ENGINE PID COMM RSS PSS PRIVATE", the container's tree excluded
    local engine=$1 cpid=$2 pid p
    declare -A keep=()
    # Every process whose command line names $work, its descendants, and their parents up to init.
    for pid in $(pids_of_work); do keep[$pid]=1; done
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [ -n "${keep[$pid]:-}" ] && continue
        ppid=$(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null) || continue
        [ -n "${keep[$ppid]:-}" ] && keep[$pid]=1
    done
    for pid in "${!keep[@]}"; do
        [ "$pid" = "$cpid" ] && continue
        [ -r "/proc/$pid/smaps_rollup" ] || continue
        awk -v e="$engine" -v pid="$pid" -v comm="$(cat "/proc/$pid/comm")" '
            /^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_(Clean|Dirty):/ {v += $2}
            END {print e, pid, comm, r, p, v}' "/proc/$pid/smaps_rollup"
    done
}
echo "engine: idle memory" >&2
sk run -d --name idle "${sk_run_flags[@]}" busybox sleep 100000 >/dev/null
pm run -d --name idle "${pm_run_flags[@]}" --runtime "$runc" busybox sleep 100000 >/dev/null
sleep 2
quiesce >/dev/null
sk_cpid=$(sk inspect -f '{{.State.Pid}}' idle)
pm_cpid=$(pm inspect -f '{{.State.Pid}}' idle)
{ idle_memory skiff "$sk_cpid"; } | grep -v "^skiff $pm_cpid " >"$work/idle-all"
# Attribute each process to an engine by the store its command line names (conmon's args).
: >"$work/idle"
while read -r e pid comm rss pss priv; do
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
    case $cmd in
        *"$work/podman"*|*"$work/pr"*) e=podman ;;
        *"$sroot"*) e=skiff ;;
        *) e=other ;;
    esac
    [ "$pid" = "$pm_cpid" ] && continue
    echo "$e $pid $comm $rss $pss $priv $(awk -F: '$2 == "memory" || $2 == "" {print $3; exit}' "/proc/$pid/cgroup" 2>/dev/null)" >>"$work/idle"
done <"$work/idle-all"
container_rss() { awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {print r, p}' "/proc/$1/smaps_rollup"; }
sk_container=$(container_rss "$sk_cpid")
pm_container=$(container_rss "$pm_cpid")
sk rm -f idle >/dev/null
pm rm -f -t 0 idle >/dev/null
quiesce >/dev/null

# --- ps -a with N running containers in each engine -------------------------------------------------------
if [ "$skip_ps" -eq 0 ]; then
    echo "engine: ps, starting $ps_containers running containers in each engine (runc)" >&2
    for ((i = 1; i <= ps_containers; i++)); do
        sk run -d "${sk_run_flags[@]}" --runtime runc busybox sleep 100000 >/dev/null
        pm run -d "${pm_run_flags[@]}" --runtime "$runc" busybox sleep 100000 >/dev/null
    done
    quiesce >/dev/null
    sk_count=$(sk ps -q | wc -l)
    pm_count=$(pm ps -q | wc -l)
    echo "engine: ps, $ps_runs runs each, alternating (running: skiff $sk_count, podman $pm_count)" >&2
    for w in 1 2 3; do sk ps -a >/dev/null; pm ps -a >/dev/null; done
    for ((r = 1; r <= ps_runs; r++)); do
        t0=$EPOCHREALTIME; sk ps -a >/dev/null; elapsed_ms "$t0" "$EPOCHREALTIME" >>"$work/ps-skiff"
        t0=$EPOCHREALTIME; pm ps -a >/dev/null; elapsed_ms "$t0" "$EPOCHREALTIME" >>"$work/ps-podman"
    done
    # What each engine's ps runs besides itself (Podman may ask the runtime for state).
    strace -f -qq -e trace=execve -e signal=none -o "$work/ps-trace-skiff" "$skiff" --root "$sroot" --engine-config "$sconf" ps -a >/dev/null 2>&1
    strace -f -qq -e trace=execve -e signal=none -o "$work/ps-trace-podman" env CONTAINERS_CONF="$CONTAINERS_CONF" \
        "$podman_bin" --root "$work/podman" --runroot "$work/pr" --tmpdir "$work/podman-tmp" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend file ps -a >/dev/null 2>&1
    # The programs each ps started, less the command itself (and env for Podman).
    ps_execs_skiff=$(grep -o 'execve("[^"]*' "$work/ps-trace-skiff" | sed 1d | sed 's/execve("//' | sort | uniq -c | awk '{printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1}')
    ps_execs_podman=$(grep -o 'execve("[^"]*' "$work/ps-trace-podman" | sed 1,2d | sed 's/execve("//' | sort | uniq -c | awk '{printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1}')
    echo "engine: ps, removing the containers" >&2
    t0=$EPOCHREALTIME; sk rm -f $(sk ps -aq) >/dev/null; sk_rm_ms=$(elapsed_ms "$t0" "$EPOCHREALTIME")
    t0=$EPOCHREALTIME; pm rm -a -f -t 0 >/dev/null; pm_rm_ms=$(elapsed_ms "$t0" "$EPOCHREALTIME")
    quiesce >/dev/null
fi

# --- the report ---------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
row() { printf '%-28s %10s %8s %8s %12s\n' "$1" "$(median "$2")" "$(pct "$2" 0.1)" "$(pct "$2" 0.9)" "$(median "$3")"; }
{
    echo "skiff bench: the engine against Podman"
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(uname -r), $(nproc) cores, load average at start $load_at_start, at end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "skiff: $skiff ($(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo '?'))  $("$skiff_runc" --version | head -1)"
    echo "podman: $("$podman_bin" --version)  conmon: $(conmon --version | head -1)  runc: $("$runc" --version | head -1)"
    echo
    echo "run --rm busybox true: $runs runs each, alternating, order rotating; ms"
    echo "('settled': until the exit command conmon starts, and anything else of the run, has exited too)"
    printf '%-28s %10s %8s %8s %12s\n' contestant median p10 p90 "settled med"
    for c in "${contestants[@]}"; do f=$(file_of "$c"); row "$c" "$work/run-$f" "$work/settle-$f"; done
    echo
    for rt in skiff-runc runc; do
        s=$(median "$work/run-skiff-$rt"); p=$(median "$work/run-podman-$rt"); fl=$(median "$work/run-floor-$rt")
        echo "runtime $rt: skiff / podman $(ratio "$s" "$p") (target <= 0.20); skiff / floor $(ratio "$s" "$fl"); podman / floor $(ratio "$p" "$fl"); settled: skiff / podman $(ratio "$(median "$work/settle-skiff-$rt")" "$(median "$work/settle-podman-$rt")")"
    done
    echo "skiff-runc, the engine's spec against runc's default spec: $(ratio "$(median "$work/run-floor-skiff-runc-engine-spec")" "$(median "$work/run-floor-skiff-runc")"); skiff run / that floor: $(ratio "$(median "$work/run-skiff-skiff-runc")" "$(median "$work/run-floor-skiff-runc-engine-spec")")"
    for c in "${contestants[@]}"; do [ "${failures[$c]}" -eq 0 ] || echo "$c: ${failures[$c]} failed runs"; done
    echo
    if [ "$timeline_runs" -gt 0 ]; then
    echo "skiff run --rm, timeline from perf's sched tracepoints: ms from skiff's exec, median of $timeline_runs runs"
    cut -f1 "$work/timeline" | sort -u | while read -r event; do
        awk -F'\t' -v e="$event" '$1 == e {print $2}' "$work/timeline" >"$work/event"
        printf '%s\t%s\t%s\n' "$(median "$work/event")" "$event" "$(wc -l <"$work/event")"
    done |
        sort -n | awk -F'\t' '{ printf "  %8.1f  %-48s (in %d of the runs)\n", $1, $2, $3 }'
    fi
    echo
    echo "fixed costs, median of 20, ms: skiff --version $(median "$work/fixed-version"); skiff ps -a, empty root $(median "$work/fixed-emptyps"); podman --version $(median "$work/fixed-podman-version"); podman ps -a, no containers $(median "$work/fixed-podman-emptyps")"
    echo "  skiff create $(median "$work/fixed-create"); skiff start -a (true) $(median "$work/fixed-start"); skiff rm $(median "$work/fixed-rm")"
    echo
    echo "idle: one detached busybox sleep per engine (runc); what stays besides the container's process, kB"
    printf '  %-7s %-8s %-12s %8s %8s %8s  %s\n' engine pid comm Rss Pss Private "cgroup (memory)"
    sort "$work/idle" | while read -r e pid comm rss pss priv cg; do printf '  %-7s %-8s %-12s %8s %8s %8s  %s\n' "$e" "$pid" "$comm" "$rss" "$pss" "$priv" "$cg"; done
    for e in skiff podman; do
        awk -v e="$e" '$1 == e {n++; r += $4; p += $5; v += $6} END {printf "  %s total: %d process(es), Rss %d, Pss %d, Private %d\n", e, n, r, p, v}' "$work/idle"
    done
    echo "  the container's own process (Rss Pss): skiff $sk_container, podman $pm_container"
    if [ "$skip_ps" -eq 0 ]; then
        echo
        echo "ps -a with $ps_containers running containers each (busybox sleep, runc; running: skiff $sk_count, podman $pm_count), $ps_runs runs each, alternating; ms"
        printf '%-20s %10s %8s %8s\n' engine median p10 p90
        printf '%-20s %10s %8s %8s\n' "skiff ps -a" "$(median "$work/ps-skiff")" "$(pct "$work/ps-skiff" 0.1)" "$(pct "$work/ps-skiff" 0.9)"
        printf '%-20s %10s %8s %8s\n' "podman ps -a" "$(median "$work/ps-podman")" "$(pct "$work/ps-podman" 0.1)" "$(pct "$work/ps-podman" 0.9)"
        echo "skiff / podman: $(ratio "$(median "$work/ps-skiff")" "$(median "$work/ps-podman")") (target <= 0.25)"
        echo "programs each ps runs: skiff: ${ps_execs_skiff:-none}; podman: ${ps_execs_podman:-none}"
        echo "removing all $ps_containers (rm -f): skiff $sk_rm_ms ms, podman $pm_rm_ms ms"
    fi
} | tee "$report"
echo "engine: report saved to ${report#"$repo"/}" >&2
