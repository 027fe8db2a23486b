#!/bin/bash
# Runs skiff's cgroup checks on a pure cgroup v2 kernel: boots Debian's kernel in qemu with every
# controller on the unified hierarchy (cgroup_no_v1=all), from an initramfs carrying busybox and the
# NativeAOT probe, and reports the probe's TAP lines. Fails loudly when the guest does not boot or
# does not finish, never passes then. Needs (Debian): qemu-system-x86, linux-image-amd64, cpio,
# busybox-static; and dotnet to publish the probe.
#   tests/v2-guest/run.sh                 # build, boot, report
#   SKIFF_RUNTIME=PATH                    # the NativeAOT skiff-runc to run in the guest
#                                         # (default: artifacts/bin/skiff-runc from scripts/build.sh)
#   SKIFF_GUEST_KERNEL=/boot/vmlinuz-X    # another kernel (its modules must be in /lib/modules/X)
#   SKIFF_GUEST_PAYLOAD=DIR               # also carry DIR to /payload; the guest runs /payload/run.sh
#                                         # after the probe and its exit status decides the run too
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
log() { echo "v2-guest: $*" >&2; }
die() { log "$*"; exit 1; }

for tool in qemu-system-x86_64 cpio gzip busybox dotnet ldd; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/install-deps.sh installs qemu-system-x86, cpio, busybox-static, linux-image-amd64)"
done
kernel=${SKIFF_GUEST_KERNEL:-$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || die "no kernel in /boot (apt-get install linux-image-amd64)"
version=${kernel##*/vmlinuz-}
modules=/lib/modules/$version
[ -d "$modules" ] || die "no modules for $version in $modules"
runtime=${SKIFF_RUNTIME:-$repo/artifacts/bin/skiff-runc}
[ -x "$runtime" ] || die "no skiff-runc at $runtime (run scripts/build.sh, or set SKIFF_RUNTIME)"

work=$(mktemp -d /tmp/skiff-v2-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}

log "publishing the probe (NativeAOT)"
dotnet publish "$here/probe/Skiff.Cgroups.GuestProbe.csproj" -c Release -r linux-x64 --nologo -v quiet \
    --artifacts-path "${SKIFF_GUEST_ARTIFACTS:-$repo/artifacts/v2-guest/build}" -o "$work/probe" >&2 \
    || die "publishing the probe failed"
probe=$work/probe/skiff-cgroup-probe
cp "$probe" "$root/bin/"
# skiff-runc and a busybox rootfs with the container scripts, for runtime/guest.sh.
mkdir -p "$root/skiff"
cp "$runtime" "$root/skiff/skiff-runc"
cp "$here/runtime/guest.sh" "$here/runtime/tap.sh" "$root/skiff/"
bash "$repo/scripts/make-busybox-bundle.sh" "$work/bundle" >/dev/null || die "making the busybox bundle failed"
mv "$work/bundle/rootfs" "$root/skiff/rootfs"
mkdir -p "$root/skiff/rootfs/scripts" "$root/skiff/rootfs/out"
cp "$here"/runtime/scripts/*.sh "$root/skiff/rootfs/scripts/"
# Both link libc dynamically: carry exactly the libraries (and loader) they name.
for lib in $( (ldd "$probe"; ldd "$runtime") | grep -o '/[^ ]*' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
done

cp "$(command -v busybox)" "$root/bin/busybox"
file "$root/bin/busybox" 2>/dev/null | grep -q 'statically linked' || [ -x /bin/busybox ] || die "busybox-static is needed"
# brd and bfq serve the checks; overlay, veth and bridge are what containers in a payload need.
for module in brd bfq overlay llc stp bridge veth; do
    path=$(modinfo -k "$version" -n "$module") || die "module $module not found for $version"
    case $path in
        *.ko) cp "$path" "$root/lib/modules/$module.ko" ;;
        *.ko.xz) xz -dc "$path" > "$root/lib/modules/$module.ko" ;;
        *.ko.zst) zstd -qdc "$path" > "$root/lib/modules/$module.ko" ;;
        *) die "unexpected module file $path" ;;
    esac
done

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
# pivot_root cannot leave the initramfs (it has no parent mount): move everything to a tmpfs first,
# so containers start the way they do on a real host.
if [ ! -e /.on-tmpfs ]; then
    /bin/busybox mkdir -p /newroot
    /bin/busybox mount -t tmpfs -o size=400m root /newroot
    for entry in /*; do
        [ "$entry" = /newroot ] || /bin/busybox cp -a "$entry" /newroot/
    done
    /bin/busybox touch /newroot/.on-tmpfs
    exec /bin/busybox switch_root /newroot /init
fi
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# A block device for the io and device checks: /dev/ram0 (1:0).
# /dev/ram1 (1:1) is the device skiff-runc's guest checks deny.
insmod /lib/modules/brd.ko rd_nr=2 rd_size=4096
echo "SKIFF-V2-BOOTED $(uname -r) controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
insmod /lib/modules/overlay.ko; insmod /lib/modules/llc.ko; insmod /lib/modules/stp.ko
insmod /lib/modules/bridge.ko; insmod /lib/modules/veth.ko
{ /bin/skiff-cgroup-probe; echo $? > /tmp/probe.status; } | tee /tmp/probe.tap
status=$(cat /tmp/probe.status)
# skiff-runc's own checks continue the probe's numbering.
TAP_OFFSET=$(grep -c '^ok \|^not ok ' /tmp/probe.tap) /skiff/guest.sh
runtime=$?
echo "SKIFF-V2-RUNTIME-EXIT $runtime"
[ $runtime -eq 0 ] || status=1
if [ -x /payload/run.sh ]; then
    (cd /payload && ./run.sh)
    payload=$?
    echo "SKIFF-V2-PAYLOAD-EXIT $payload"
    [ $payload -eq 0 ] || status=1
fi
echo "SKIFF-V2-EXIT $status"
poweroff -f
INIT
chmod +x "$root/init"
if [ -n "${SKIFF_GUEST_PAYLOAD:-}" ]; then
    [ -x "$SKIFF_GUEST_PAYLOAD/run.sh" ] || die "SKIFF_GUEST_PAYLOAD=$SKIFF_GUEST_PAYLOAD has no executable run.sh"
    cp -a "$SKIFF_GUEST_PAYLOAD" "$root/payload"
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

# Boot the kernel already decompressed (an ELF with a PVH entry): about 4 s instead of 10 under TCG.
cache=${SKIFF_GUEST_CACHE:-$repo/artifacts/v2-guest/cache}
vmlinux=$cache/vmlinux-$version
if [ ! -s "$vmlinux" ]; then
    mkdir -p "$cache"
    offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$kernel" | head -1 | cut -d: -f1 || true)
    if [ -n "$offset" ] && tail -c +$((offset + 1)) "$kernel" | xz -dc 2>/dev/null > "$vmlinux.tmp" \
        || [ -s "$vmlinux.tmp" ]; then
        mv "$vmlinux.tmp" "$vmlinux"
    fi
    rm -f "$vmlinux.tmp"
fi
boot=$kernel
if [ -s "$vmlinux" ] && head -c 4 "$vmlinux" | grep -q 'ELF'; then boot=$vmlinux; fi

# KVM only where the CPU really has it: this project's /dev/kvm is a PVM layer that cannot run a stock kernel.
accel=(-accel tcg)
if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=(-accel kvm -cpu host); fi

log "booting $version from $boot (${accel[*]})"
console=$work/console.log
status=0
timeout "${SKIFF_GUEST_TIMEOUT:-600}" qemu-system-x86_64 "${accel[@]}" -m 512 -smp 2 -nographic -no-reboot \
    -kernel "$boot" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 loglevel=1 panic=-1 cgroup_no_v1=all" > "$console" 2>&1 || status=$?
tr -d '\r' < "$console" | grep -E '^(SKIFF-V2|ok |not ok |1\.\.)' || true

grep -q 'SKIFF-V2-BOOTED' "$console" || { tail -20 "$console" >&2; die "the guest did not boot (qemu status $status)"; }
grep -q 'SKIFF-V2-RESULT' "$console" || { tail -20 "$console" >&2; die "the probe did not finish (qemu status $status)"; }
grep -q 'SKIFF-V2-RUNTIME-RESULT' "$console" || { tail -20 "$console" >&2; die "skiff-runc's guest checks did not finish (qemu status $status)"; }
result="$(tr -d '\r' < "$console" | grep -o 'SKIFF-V2-RESULT pass=[0-9]* fail=[0-9]*'), $(tr -d '\r' < "$console" | grep -o 'SKIFF-V2-RUNTIME-RESULT pass=[0-9]* fail=[0-9]*')"
grep -q 'SKIFF-V2-EXIT 0' "$console" || die "failed: $result"
log "passed: $result"
