#!/bin/bash
# skiff-runc's AppArmor support checked for real: this host has no AppArmor, Debian's kernel in the
# v2 guest has it on by default. Builds a payload (apparmor_parser, a test profile, the checks) and
# boots the guest with it (tests/v2-guest/run.sh, SKIFF_GUEST_PAYLOAD); fails when any check fails.
# Needs what tests/v2-guest/run.sh needs, and apparmor_parser (Debian: apparmor).
#   tests/lsm-guest/run.sh                # with SKIFF_RUNTIME as tests/v2-guest/run.sh takes it
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
parser=$(command -v apparmor_parser || true)
[ -n "$parser" ] || { echo "lsm-guest: apparmor_parser not found (scripts/install-deps.sh installs apparmor)" >&2; exit 1; }

runtime=${SKIFF_RUNTIME:-$repo/artifacts/bin/skiff-runc}
[ -x "$runtime" ] || { echo "lsm-guest: no skiff-runc at $runtime (run scripts/build.sh, or set SKIFF_RUNTIME)" >&2; exit 1; }

payload=$(mktemp -d /tmp/skiff-lsm-guest.XXXXXX)
trap 'rm -rf "$payload"' EXIT
cp "$here"/payload/* "$payload/"
cp "$parser" "$payload/apparmor_parser"
cp "$runtime" "$payload/skiff-runc"
# The guest has only what its harness carries: the payload brings the libraries its programs name.
for lib in $( (ldd "$runtime"; ldd "$parser") | grep -o '/[^ ]*' | sort -u); do
    mkdir -p "$payload/libs$(dirname "$lib")"
    cp -L "$lib" "$payload/libs$lib"
done
bash "$repo/scripts/make-busybox-bundle.sh" "$payload/bundle" >/dev/null
mv "$payload/bundle/rootfs" "$payload/rootfs"
rm -rf "$payload/bundle"
SKIFF_GUEST_PAYLOAD=$payload "$repo/tests/v2-guest/run.sh"
