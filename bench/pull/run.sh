#!/usr/bin/env bash
# Pull benchmark: one multi-layer image (tens of MB, built here from files already on the machine),
# served by Debian's docker-registry on 127.0.0.1, pulled into an empty store by skiff, podman and
# skopeo (copy to a dir: download only, no unpacking) in alternating rounds. Prints MB/s and ratios,
# and gzip's single-stream decompression speed on this machine as the ceiling for unpacking.
#
#   bench/pull/run.sh [SKIFF_BINARY] [ROUNDS]
#
# Needs root (podman and skiff unpack as root), docker-registry, skopeo, podman, busybox-static.
set -euo pipefail

SKIFF=${1:-${SKIFF:-/usr/local/bin/skiff}}
ROUNDS=${2:-5}
WORK=$(mktemp -d /tmp/skiff-pull-bench.XXXXXX)
REGISTRY_PID=
cleanup() {
    [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null && wait "$REGISTRY_PID" 2>/dev/null || true
    # podman's store may hold overlay mounts; skiff's holds none, but both are removed the same way.
    for store in "$WORK"/podman-*; do [ -d "$store" ] && umount -R "$store" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -x "$SKIFF" ] || { echo "skiff binary not found: $SKIFF (pass it as the first argument)" >&2; exit 1; }
for tool in docker-registry skopeo podman busybox gzip sha256sum; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

now_ns() { date +%s%N; }

# Podman keeps locks in a /dev/shm segment and events, exit files and network configs under /run and
# /etc unless told otherwise: all of it goes under $WORK, so the bench leaves nothing behind.
export CONTAINERS_CONF="$WORK/containers.conf"
cat > "$CONTAINERS_CONF" <<EOF_CONF
[engine]
lock_type = "file"
events_logger = "file"
[network]
network_config_dir = "$WORK/podman-networks"
EOF_CONF
podman_in() { # round, podman arguments...
    local round=$1; shift
    podman --root "$WORK/podman-$round" --runroot "$WORK/podman-run-$round" --tmpdir "$WORK/podman-tmp-$round" \
        --storage-driver overlay "$@"
}

# --- the image: four layers, deterministic tars (sorted, fixed owner and mtime), gzip -6 -----------
layout="$WORK/layout"
mkdir -p "$layout/blobs/sha256" "$WORK/src"
make_layer() { # name, tar arguments...
    local name=$1; shift
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$WORK/$name.tar" "$@"
    gzip -n -6 -c "$WORK/$name.tar" > "$WORK/$name.tar.gz"
}
mkdir -p "$WORK/src/base/bin" "$WORK/src/base/etc" "$WORK/src/base/tmp"
cp /bin/busybox "$WORK/src/base/bin/busybox"
for applet in sh ls cat echo true; do ln "$WORK/src/base/bin/busybox" "$WORK/src/base/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$WORK/src/base/etc/passwd"
make_layer base -C "$WORK/src/base" .
make_layer python -C / usr/lib/python3
make_layer perl -C / usr/share/perl
# The first 40 MB of /usr/bin in name order: real machine code, as most image layers hold.
(cd / && find usr/bin -maxdepth 1 -type f -printf '%s %p\n' | LC_ALL=C sort -k2 \
    | awk -v limit=$((40*1024*1024)) '{ if (t + $1 <= limit) { t += $1; print $2 } }' > "$WORK/bin.list")
make_layer bin -C / -T "$WORK/bin.list"

blob() { # file -> prints digest, copies the blob into the layout
    local hex; hex=$(sha256sum "$1" | cut -d' ' -f1)
    cp "$1" "$layout/blobs/sha256/$hex"
    echo "sha256:$hex"
}
layers_json=""; diffs_json=""; compressed=0; uncompressed=0
for name in base python perl bin; do
    digest=$(blob "$WORK/$name.tar.gz"); size=$(stat -c %s "$WORK/$name.tar.gz")
    diff="sha256:$(sha256sum "$WORK/$name.tar" | cut -d' ' -f1)"
    compressed=$((compressed + size)); uncompressed=$((uncompressed + $(stat -c %s "$WORK/$name.tar")))
    layers_json+="${layers_json:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$digest\",\"size\":$size}"
    diffs_json+="${diffs_json:+,}\"$diff\""
done
printf '{"created":"2024-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs_json" > "$WORK/config.json"
config=$(blob "$WORK/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
    "$config" "$(stat -c %s "$WORK/config.json")" "$layers_json" > "$WORK/manifest.json"
manifest=$(blob "$WORK/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
    "$manifest" "$(stat -c %s "$WORK/manifest.json")" > "$layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"

# --- the registry ----------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$WORK/registry.yml" > "$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.05; done
image="127.0.0.1:$port/bench/image:1"
skopeo copy -q --dest-tls-verify=false "oci:$layout:1" "docker://$image"

mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1000000}'; }
echo "image: 4 layers, $(mb $compressed) MB compressed, $(mb $uncompressed) MB uncompressed"

# --- the ceiling: gzip decompression of the same layers, one stream at a time --------------------
start=$(now_ns)
for name in base python perl bin; do gzip -dc "$WORK/$name.tar.gz" > /dev/null; done
gzip_ns=$(( $(now_ns) - start ))

# --- alternating rounds ----------------------------------------------------------------------------
declare -A times
run() { # tool round
    local tool=$1 round=$2 start end
    case $tool in
        skiff)
            start=$(now_ns)
            "$SKIFF" --root "$WORK/skiff-$round" pull -q "$image" > /dev/null
            end=$(now_ns) ;;
        podman)
            start=$(now_ns)
            podman_in "$round" pull -q --tls-verify=false "$image" > /dev/null
            end=$(now_ns) ;;
        skopeo)
            start=$(now_ns)
            skopeo copy -q --src-tls-verify=false "docker://$image" "dir:$WORK/skopeo-$round"
            end=$(now_ns) ;;
    esac
    times[$tool]+="$(( end - start )) "
    # Each round starts from an empty store; remove this one before the next tool runs.
    if [ "$tool" = podman ]; then
        podman_in "$round" rmi -a -f >/dev/null 2>&1 || true
        umount -R "$WORK/podman-$round" 2>/dev/null || true
    fi
    rm -rf "$WORK/skiff-$round" "$WORK/podman-$round" "$WORK/podman-run-$round" "$WORK/podman-tmp-$round" "$WORK/skopeo-$round"
}
for round in $(seq "$ROUNDS"); do
    # Rotate the order so no tool always runs first.
    case $((round % 3)) in
        1) order="skiff podman skopeo" ;;
        2) order="podman skopeo skiff" ;;
        0) order="skopeo skiff podman" ;;
    esac
    for tool in $order; do run "$tool" "$round"; done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
rate() { awk -v bytes="$1" -v ns="$2" 'BEGIN{printf "%.1f", bytes/1000000/(ns/1e9)}'; }
skiff_ns=$(echo "${times[skiff]}" | median); podman_ns=$(echo "${times[podman]}" | median); skopeo_ns=$(echo "${times[skopeo]}" | median)
printf '\n%-34s %10s %16s %18s\n' "tool (median of $ROUNDS)" "seconds" "MB/s compressed" "MB/s uncompressed"
for tool in skiff podman skopeo; do
    ns_var="${tool}_ns"; ns=${!ns_var}
    label=$tool; [ "$tool" = skopeo ] && label="skopeo copy to dir (no unpack)"
    [ "$tool" = podman ] && label="podman pull (overlay)"
    [ "$tool" = skiff ] && label="skiff pull"
    printf '%-34s %10.2f %16s %18s\n' "$label" "$(awk -v n="$ns" 'BEGIN{print n/1e9}')" "$(rate $compressed "$ns")" "$(rate $uncompressed "$ns")"
done
printf '%-34s %10.2f %16s %18s\n' "gzip -dc (ceiling, 1 stream)" "$(awk -v n="$gzip_ns" 'BEGIN{print n/1e9}')" "$(rate $compressed "$gzip_ns")" "$(rate $uncompressed "$gzip_ns")"
printf '\nratio podman/skiff time: %s   skopeo/skiff time: %s\n' \
    "$(awk -v a="$podman_ns" -v b="$skiff_ns" 'BEGIN{printf "%.2f", a/b}')" \
    "$(awk -v a="$skopeo_ns" -v b="$skiff_ns" 'BEGIN{printf "%.2f", a/b}')"
