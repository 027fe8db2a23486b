#!/bin/bash
# Install skiff on this machine: Debian packages, the NativeAOT build, the binaries in
# /usr/local/bin, and a default busybox bundle at /usr/local/share/skiff/bundles/busybox.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=${PREFIX:-/usr/local}
bundle=$prefix/share/skiff/bundles/busybox

bash "$repo/scripts/install-deps.sh"
bash "$repo/scripts/build.sh"

install -d "$prefix/bin"
for b in skiff-runc skiff; do
    [ -x "$repo/artifacts/bin/$b" ] || { echo "install: $b was not built" >&2; exit 1; }
    [ -e "$prefix/bin/$b" ] && chattr -i "$prefix/bin/$b" 2>/dev/null || true
    install -m 0755 "$repo/artifacts/bin/$b" "$prefix/bin/$b"
done
# An immutable skiff-runc cannot be overwritten from a container (CVE-2019-5736) without being
# re-executed from a sealed copy first, which saves a process start per create and exec. Where
# the file system has no such attribute, skiff-runc seals itself at run time instead.
chattr +i "$prefix/bin/skiff-runc" 2>/dev/null ||
    echo "install: $prefix/bin/skiff-runc cannot be made immutable here; it will re-execute itself sealed" >&2
sh "$repo/scripts/make-busybox-bundle.sh" "$bundle"
# The engine's built-in default image, made from the same busybox-static: no registry needed.
"$prefix/bin/skiff" image import-busybox >/dev/null

echo "install: skiff-runc and skiff are in $prefix/bin; the default bundle is $bundle; skiff has busybox:latest" >&2
echo "install: try: skiff-runc run --bundle $bundle hello" >&2
