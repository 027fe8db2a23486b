#!/bin/bash
# Install the Debian packages skiff builds, tests and benchmarks with. Idempotent: when everything
# is already installed it touches nothing (and needs no network).
set -euo pipefail

packages=(
    busybox-static              # the test and default bundles' whole userland, one static file
    runc crun                   # the runtimes skiff-runc is compared with and validated against
    hyperfine time              # benchmarks: timing and peak RSS (/usr/bin/time)
    clang zlib1g-dev libzstd-dev  # NativeAOT links with clang against zlib/zstd
    libsqlite3-dev              # the engine's state database (linked into skiff)
    linux-libc-dev              # the seccomp syscall tables are checked against its headers
    iproute2 util-linux procps  # ip netns, unshare, nsenter, mount; ps for `skiff-runc ps`
    e2fsprogs                   # chattr: the installed skiff-runc is immutable (scripts/install.sh)
    podman conmon catatonit     # real clients that drive an OCI runtime; the engine's monitor and --init
    golang-github-containers-common  # the default seccomp profile the engine applies
    containerd                  # ctr run --runc-binary
    skopeo umoci docker-registry  # local images and a local registry, no internet
    libzstd1 zstd apache2-utils libcap2-bin curl python3  # zstd layers; registry auth, file caps and pull bench in the image tests
    containernetworking-plugins iptables  # container networking
    netavark aardvark-dns       # the default network backend and its DNS server (/usr/lib/podman)
    iperf3                      # bench/network.sh: throughput over the bridge and over a bare veth
    qemu-system-x86 linux-image-amd64 cpio  # tests/v2-guest: a pure cgroup v2 kernel under qemu
    apparmor                    # tests/lsm-guest: apparmor_parser loads a profile in the guest kernel
)

log() { echo "install-deps: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (apt-get install needs it)"
command -v apt-get >/dev/null || die "apt-get not found: skiff's scripts target Debian 12"

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -qq update || die "apt-get update failed"
    apt-get -qq -y install "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
    for p in "${missing[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
        [ "$status" = installed ] || die "$p is still not installed after apt-get install"
    done
fi

if ! command -v dotnet >/dev/null; then
    die "dotnet not found. skiff needs the .NET SDK (10.x builds the net9.0 NativeAOT binaries):
  install it from Microsoft's Debian 12 packages (packages-microsoft-prod.deb, then
  'apt-get install dotnet-sdk-10.0') or with dotnet-install.sh, and put 'dotnet' on PATH."
fi
log "ok: ${#packages[@]} Debian packages present, dotnet $(dotnet --version)"
