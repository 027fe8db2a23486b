#!/bin/bash
# Container networking, in one run per network backend (netavark, cni):
#  - throughput: iperf3 from the host to a server inside a skiff container on a bridge network,
#    against iperf3 over a bare veth pair into a network namespace set up by hand (the ceiling),
#    and over the same pair behind a bridge made by hand with no firewall rules (what the bridge costs);
#  - start latency: what networking adds to `skiff run --rm busybox true` over `--network none`,
#    next to what it adds to Podman's with the same backend.
# Contestants alternate; medians, percentiles and ratios are printed and saved in bench/results/.
# Traffic goes only to addresses the bench made. See bench/README.md.
#
#   bench/network.sh [-n RUNS] [-t SECONDS] [-r ROUNDS] [--backends "netavark cni"]
#
# -n: timed `run --rm` per contestant (default 30); -t: seconds per iperf3 run (default 5);
# -r: iperf3 runs per contestant (default 5); --backends: which backends to measure.
#
# Env: SKIFF (default: artifacts/bin/skiff of this checkout, else skiff on PATH), RUNC (default
#      /usr/sbin/runc: both engines run containers with it), PODMAN (default podman).
set -euo pipefail

bench=network
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs=30
seconds=5
rounds=5
backends="netavark cni"

while [ $# -gt 0 ]; do
    case $1 in
        -n|--runs) runs=$2; shift 2 ;;
        -t|--seconds) seconds=$2; shift 2 ;;
        -r|--rounds) rounds=$2; shift 2 ;;
        --backends) backends=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) die "unknown argument $1" ;;
    esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (containers, network namespaces, bridges)"
for tool in iperf3 jq nsenter ip "${PODMAN:-podman}" conmon; do
    command -v "$tool" >/dev/null || die "$tool not found: run scripts/install-deps.sh"
done
skiff=${SKIFF:-}
if [ -z "$skiff" ]; then
    if [ -x "$repo/artifacts/bin/skiff" ]; then skiff=$repo/artifacts/bin/skiff; else skiff=$(command -v skiff || true); fi
fi
[ -n "$skiff" ] && [ -x "$skiff" ] || die "skiff not built (scripts/build.sh) and not on PATH; or set SKIFF"
runc=${RUNC:-/usr/sbin/runc}
[ -x "$runc" ] || die "runc not found at $runc (set RUNC)"
podman_bin=$(command -v "${PODMAN:-podman}")

start_work skiff-network
trap cleanup_network EXIT
report=$results_dir/network-$(date -u +%Y%m%dT%H%M%SZ).txt
veth_ns=skiff-bench-$token
veth_host=sbv$token
bridge_ns=skiff-bench-br-$token
bridge_host=sbb$token
bridge_port=sbp$token
net=bench-$token

# A 10.x.y.0/24 that no route of the host's covers and no earlier pick of this run took.
taken_prefixes=""
free_prefix() {
    local routes p
    routes=$(ip -4 route show table all)
    while :; do
        p=10.$((RANDOM % 50 + 200)).$((RANDOM % 254 + 1))
        case "$routes $taken_prefixes" in *"$p."*) continue ;; esac
        taken_prefixes="$taken_prefixes $p."
        echo "$p"
        return
    done
}

# --- skiff: one private root and engine config per backend ---------------------------------------------
sk() { # BACKEND ARGS...
    local b=$1; shift
    "$skiff" --root "$work/skiff-$b" --engine-config "$work/engine-$b.json" "$@"
}
for b in $backends; do
    case $b in netavark|cni) ;; *) die "unknown backend $b (netavark or cni)" ;; esac
    cat >"$work/engine-$b.json" <<EOF
{ "default_runtime": "runc", "runtimes": { "runc": "$runc" },
  "cgroup_parent": "/$cgroup_parent/skiff-$b", "network_backend": "$b" }
EOF
done

# --- Podman: store, runroot, locks, events and network configs under $work; one containers.conf
# per backend. As in engine.sh, the store is private and nothing is written in /etc.
pm_conf() { # BACKEND
    cat <<EOF
[containers]
default_ulimits = []
log_driver = "k8s-file"
[engine]
lock_type = "file"
events_logger = "file"
events_logfile_path = "$work/podman-events.log"
image_copy_tmp_dir = "$work/podman-tmp"
cgroup_manager = "cgroupfs"
runtime = "runc"
[engine.runtimes]
runc = ["$runc"]
[network]
network_backend = "$1"
network_config_dir = "$work/podman-networks-$1"
cni_plugin_dirs = ["/usr/lib/cni"]
EOF
}
for b in $backends; do pm_conf "$b" >"$work/containers-$b.conf"; mkdir -p "$work/podman-networks-$b"; done
pm() { # BACKEND ARGS...
    local b=$1; shift
    CONTAINERS_CONF=$work/containers-$b.conf "$podman_bin" --root "$work/podman" --runroot "$work/pr" --tmpdir "$work/podman-tmp" \
        --storage-driver overlay --cgroup-manager cgroupfs --events-backend file --runtime "$runc" "$@"
}
# Rootful Podman makes these whatever its config says; removed at exit if they were not there
# (rmdir: only when empty). Podman's CNI networks keep host-local leases in /var/lib/cni/networks.
made_dirs=()
for d in /run/containers /run/containers/networks /var/lib/containers /var/lib/cni /var/lib/cni/networks /var/lib/cni/results /run/cni /run/cni/tuning; do
    [ -e "$d" ] || made_dirs=("$d" "${made_dirs[@]}")
done

# The CNI plugins' shared chains (firewall's, portmap's) outlive every container, under Podman as
# under skiff: the ones this run caused are removed at exit.
shared_chains="filter/CNI-FORWARD filter/CNI-ADMIN filter/CNI-ISOLATION-STAGE-1 filter/CNI-ISOLATION-STAGE-2 nat/CNI-HOSTPORT-DNAT nat/CNI-HOSTPORT-SETMARK nat/CNI-HOSTPORT-MASQ"
chains_before=$(for c in $shared_chains; do iptables -t "${c%/*}" -S "${c#*/}" >/dev/null 2>&1 && echo "$c"; done || true)
remove_new_chains() {
    local c table chain rule
    for c in $shared_chains; do
        table=${c%/*} chain=${c#*/}
        grep -qx "$c" <<<"$chains_before" && continue
        iptables -t "$table" -S "$chain" >/dev/null 2>&1 || continue
        iptables -t "$table" -S | grep -e "-j $chain\$" -e "-j $chain " | sed 's/^-A //' | while read -r rule; do
            eval "iptables -t $table -D $rule"
        done
        iptables -t "$table" -F "$chain"
    done
    for c in $shared_chains; do
        grep -qx "$c" <<<"$chains_before" || iptables -t "${c%/*}" -X "${c#*/}" 2>/dev/null
    done
}

# skiff's own masquerade chain (the cni backend's one rule per network) stays once made, as the
# plugins' chains do: removed at exit when this run made it and no network's rule is left in it.
skiff_masq_before=$(iptables -t nat -S SKIFF-MASQUERADE >/dev/null 2>&1 && echo yes || true)
remove_skiff_masq_chain() {
    [ -z "$skiff_masq_before" ] || return 0
    iptables -t nat -S SKIFF-MASQUERADE >/dev/null 2>&1 || return 0
    # Under skiff's host lock, as the engine adds to the chain: another root's skiff must not add
    # its rule between the emptiness check and the removal of the jump.
    flock /run/skiff/masquerade.lock sh -c '
        iptables -t nat -S SKIFF-MASQUERADE | grep -q "^-A " && exit 0
        iptables -t nat -D POSTROUTING -j SKIFF-MASQUERADE
        iptables -t nat -X SKIFF-MASQUERADE'
}

cleanup_network() {
    set +e
    trap - EXIT
    local b pid
    [ -f "$work/veth-iperf.pid" ] && kill "$(cat "$work/veth-iperf.pid")" 2>/dev/null
    [ -f "$work/bridge-iperf.pid" ] && kill "$(cat "$work/bridge-iperf.pid")" 2>/dev/null
    ip netns delete "$veth_ns" 2>/dev/null
    ip netns delete "$bridge_ns" 2>/dev/null
    ip link delete "$veth_host" 2>/dev/null
    ip link delete "$bridge_port" 2>/dev/null
    ip link delete "$bridge_host" 2>/dev/null
    for b in $backends; do
        if [ -d "$work/skiff-$b" ]; then
            sk "$b" rm -f $(sk "$b" ps -aq 2>/dev/null) >/dev/null 2>&1
            sk "$b" network rm "$net" >/dev/null 2>&1
        fi
        if [ -d "$work/podman" ]; then
            pm "$b" rm -a -f -t 0 >/dev/null 2>&1
            pm "$b" network rm -f "$net" >/dev/null 2>&1
        fi
    done
    [ -d "$work/podman" ] && pm "${backends%% *}" rmi -a -f >/dev/null 2>&1
    for pid in $(seq 50); do [ -n "$(pids_of_work)" ] || break; sleep 0.1; done
    for pid in $(pids_of_work); do kill -KILL "$pid" 2>/dev/null; done
    grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "/var/lib/cni/networks/$net"
    remove_new_chains
    remove_skiff_masq_chain
    for d in "${made_dirs[@]}"; do rmdir "$d" 2>/dev/null; done
    cleanup_work
}

echo "network: setting up ($work)" >&2
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
first=${backends%% *}
for b in $backends; do sk "$b" image import-busybox >/dev/null; done
sk "$first" save busybox:latest -o "$work/busybox.tar"
mkdir -p /var/lib/containers
# As in engine.sh: Podman writes a blob-info cache under /var/lib/containers when it copies an
# image, whatever --root says; the load runs with a tmpfs over it.
CONTAINERS_CONF=$work/containers-$first.conf unshare -m sh -c 'mount -t tmpfs none /var/lib/containers && exec "$@"' sh \
    "$podman_bin" --root "$work/podman" --runroot "$work/pr" --tmpdir "$work/podman-tmp" \
    --storage-driver overlay --cgroup-manager cgroupfs --events-backend file load -q -i "$work/busybox.tar" >/dev/null

# --- the ceiling: a bare veth pair into a namespace made here ------------------------------------------
vp=$(free_prefix)
ip netns add "$veth_ns"
ip link add "$veth_host" type veth peer name eth0 netns "$veth_ns"
ip addr add "$vp.1/24" dev "$veth_host"
ip link set "$veth_host" up
ip -n "$veth_ns" addr add "$vp.2/24" dev eth0
ip -n "$veth_ns" link set eth0 up
ip -n "$veth_ns" link set lo up
ip netns exec "$veth_ns" iperf3 -s -D -p 5201 --pidfile "$work/veth-iperf.pid"
veth_ip=$vp.2
# --- between the two: the same veth pair behind a Linux bridge made here, with no firewall rule of
# anyone's for it (the host's bridge-nf-call-iptables still applies): what the bridge itself costs.
bp=$(free_prefix)
ip netns add "$bridge_ns"
ip link add "$bridge_host" type bridge
ip addr add "$bp.1/24" dev "$bridge_host"
ip link set "$bridge_host" up
ip link add "$bridge_port" type veth peer name eth0 netns "$bridge_ns"
ip link set "$bridge_port" master "$bridge_host" up
ip -n "$bridge_ns" addr add "$bp.2/24" dev eth0
ip -n "$bridge_ns" link set eth0 up
ip -n "$bridge_ns" link set lo up
ip netns exec "$bridge_ns" iperf3 -s -D -p 5201 --pidfile "$work/bridge-iperf.pid"
bridge_ip=$bp.2
# The two servers live for the whole run: quiesce does not wait for them.
keep_pids="$(cat "$work/veth-iperf.pid") $(cat "$work/bridge-iperf.pid")"

# iperf FILE ADDRESS: one iperf3 run, its received throughput in Gbit/s appended to FILE.
iperf() {
    local out i
    for i in $(seq 50); do
        # The server may still be starting: iperf3 then fails at once and is tried again.
        if out=$(iperf3 -c "$2" -p 5201 -t "$seconds" -O 1 -J 2>/dev/null); then
            jq -r '.end.sum_received.bits_per_second / 1e9' <<<"$out" >>"$1"
            return
        fi
        sleep 0.2
    done
    die "iperf3 to $2 failed: $(jq -r '.error // empty' <<<"$out")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b == 0) print "nan"; else printf "%.2f", a / b}'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a - b}'; }
{
    echo "network benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) cores, load at start $load_at_start"
    echo "skiff $("$skiff" --version 2>/dev/null | head -1), $("$podman_bin" --version), runc for both engines"
    echo "iperf3: $rounds runs of ${seconds}s (first second omitted) per contestant, alternating; run --rm: $runs runs each, alternating"
} >"$report"

for b in $backends; do
    echo "network: [$b] networks and the iperf3 server container" >&2
    sp=$(free_prefix); pp=$(free_prefix)
    sk "$b" network create --subnet "$sp.0/24" "$net" >/dev/null
    pm "$b" network create --subnet "$pp.0/24" "$net" >/dev/null
    # The server runs the host's iperf3 inside the container: /usr bound read-only into the busybox
    # image, with /lib and /lib64 (the loader's path) as on the merged-/usr host.
    sk "$b" run -d --name iperf --network "$net" -v /usr:/usr:ro -v /usr/lib:/lib:ro -v /usr/lib64:/lib64:ro busybox /usr/bin/iperf3 -s -p 5201 >/dev/null
    pid=$(sk "$b" inspect -f '{{.State.Pid}}' iperf)
    ctr_ip=$(nsenter -t "$pid" -n ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
    [ -n "$ctr_ip" ] || die "[$b] the iperf3 container has no IPv4 address on eth0"

    : >"$work/tp-veth-$b"; : >"$work/tp-bridge-$b"; : >"$work/tp-skiff-$b"
    declare -A target=([veth]=$veth_ip [bridge]=$bridge_ip [skiff]=$ctr_ip)
    throughput_once() { # CONTESTANT RECORD
        if [ "$2" -eq 1 ]; then iperf "$work/tp-$1-$b" "${target[$1]}"; else iperf "$work/warm" "${target[$1]}"; fi
    }
    alternate "$rounds" 1 throughput_once veth bridge skiff
    sk "$b" rm -f iperf >/dev/null

    echo "network: [$b] run --rm, $runs runs each, alternating" >&2
    contestants=(skiff-none skiff-bridge podman-none podman-bridge)
    for c in "${contestants[@]}"; do : >"$work/lat-$c-$b"; done
    run_cmd() {
        case $1 in
            skiff-none) sk "$b" run --rm --network none busybox true ;;
            skiff-bridge) sk "$b" run --rm --network "$net" busybox true ;;
            podman-none) pm "$b" run --rm --cgroup-parent "/$cgroup_parent/podman" --network none busybox true ;;
            podman-bridge) pm "$b" run --rm --cgroup-parent "/$cgroup_parent/podman" --network "$net" busybox true ;;
        esac
    }
    run_once() { # CONTESTANT RECORD
        local t0 t1
        t0=$EPOCHREALTIME
        run_cmd "$1" </dev/null >>"$work/out-$1-$b.log" 2>&1 || { tail -5 "$work/out-$1-$b.log" >&2; die "[$b] $1 failed"; }
        t1=$EPOCHREALTIME
        quiesce >/dev/null
        [ "$2" -eq 0 ] || elapsed_ms "$t0" "$t1" >>"$work/lat-$1-$b"
    }
    # Three warm-up rounds, not counted.
    alternate "$runs" 3 run_once "${contestants[@]}"
    sk "$b" network rm "$net" >/dev/null
    pm "$b" network rm -f "$net" >/dev/null

    veth=$(median "$work/tp-veth-$b"); brtp=$(median "$work/tp-bridge-$b"); sktp=$(median "$work/tp-skiff-$b")
    skn=$(median "$work/lat-skiff-none-$b"); skb=$(median "$work/lat-skiff-bridge-$b")
    pmn=$(median "$work/lat-podman-none-$b"); pmb=$(median "$work/lat-podman-bridge-$b")
    sk_added=$(minus "$skb" "$skn"); pm_added=$(minus "$pmb" "$pmn")
    {
        echo
        echo "== backend $b"
        printf '%-34s %10s %8s %8s\n' "iperf3 host -> server (Gbit/s)" median p10 p90
        printf '%-34s %10s %8s %8s\n' "bare veth pair (ceiling)" "$veth" "$(pct "$work/tp-veth-$b" 0.1)" "$(pct "$work/tp-veth-$b" 0.9)"
        printf '%-34s %10s %8s %8s\n' "veth pair behind a bare bridge" "$brtp" "$(pct "$work/tp-bridge-$b" 0.1)" "$(pct "$work/tp-bridge-$b" 0.9)"
        printf '%-34s %10s %8s %8s\n' "skiff container on a bridge" "$sktp" "$(pct "$work/tp-skiff-$b" 0.1)" "$(pct "$work/tp-skiff-$b" 0.9)"
        echo "skiff / bare veth: $(ratio "$sktp" "$veth")   (target >= 0.90); bare bridge / bare veth: $(ratio "$brtp" "$veth"); skiff / bare bridge: $(ratio "$sktp" "$brtp")"
        echo
        printf '%-34s %10s %8s %8s\n' "run --rm busybox true (ms)" median p10 p90
        for c in "${contestants[@]}"; do
            printf '%-34s %10s %8s %8s\n' "$c" "$(median "$work/lat-$c-$b")" "$(pct "$work/lat-$c-$b" 0.1)" "$(pct "$work/lat-$c-$b" 0.9)"
        done
        echo "added by networking: skiff $sk_added ms, podman $pm_added ms; skiff / podman: $(ratio "$sk_added" "$pm_added")   (target <= 0.50)"
    } >>"$report"
done
cat "$report"
echo "network: report saved in $report" >&2
