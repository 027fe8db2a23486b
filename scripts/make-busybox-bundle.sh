#!/bin/sh
# Make an OCI bundle whose rootfs is Debian's static busybox: a whole userland in one file, no internet.
#   make-busybox-bundle.sh DIR [ARG...]
# DIR/rootfs is (re)made; DIR/config.json is runc's default spec with terminal off and ARGs as the
# process (default: sh -c 'echo hello from skiff; id; hostname').
# ociVersion is 1.0.2: crun 1.8.1 (Debian 12) refuses 1.2.0, and every runtime reads 1.0.2.
set -eu

usage() { echo "usage: $0 DIR [ARG...]" >&2; exit 2; }
die() { echo "make-busybox-bundle: $*" >&2; exit 1; }

[ $# -ge 1 ] || usage
dir=$1; shift
[ -n "$dir" ] || usage

busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "$busybox not found: install Debian's busybox-static (scripts/install-deps.sh)"
# A dynamically linked busybox (Debian's "busybox" package) would need the host's libc in the rootfs.
if command -v dpkg-query >/dev/null 2>&1 && [ "$busybox" = /bin/busybox ]; then
    dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' \
        || die "/bin/busybox is not from busybox-static (a dynamic busybox cannot run alone in a rootfs)"
fi

mkdir -p "$dir"
rootfs=$dir/rootfs
rm -rf "$rootfs"
mkdir -p "$rootfs"
for d in bin sbin usr/bin usr/sbin etc tmp proc sys dev root home var/tmp; do
    mkdir -p "$rootfs/$d"
done
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 0700 "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"

# One symlink per applet, at the place busybox itself says it belongs.
"$busybox" --list-full | while read -r applet; do
    case $applet in
        */*) ;;
        *) continue ;;    # entries without a directory (linuxrc) are not commands
    esac
    [ "$applet" = bin/busybox ] && continue
    [ -e "$rootfs/$applet" ] || [ -L "$rootfs/$applet" ] || ln -s /bin/busybox "$rootfs/$applet"
done

cat > "$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$rootfs/etc/group" <<'GROUP'
root:x:0:
tty:x:5:
nogroup:x:65534:
GROUP
echo skiff > "$rootfs/etc/hostname"
: > "$rootfs/etc/hosts"
: > "$rootfs/etc/resolv.conf"

json_string() {
    printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/	/\\t/g')"
}

if [ $# -eq 0 ]; then
    set -- sh -c 'echo hello from skiff; id; hostname'
fi
args=""
for a in "$@"; do
    args="$args${args:+, }$(json_string "$a")"
done

cat > "$dir/config.json" <<JSON
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ $args ],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
			"ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
		},
		"rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": true },
	"hostname": "skiff",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
		{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
		  "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
		{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
		  "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
		{ "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
		  "options": [ "nosuid", "noexec", "nodev" ] },
		{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
		  "options": [ "nosuid", "noexec", "nodev", "ro" ] },
		{ "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
		  "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
	],
	"linux": {
		"resources": { "devices": [ { "allow": false, "access": "rwm" } ] },
		"namespaces": [
			{ "type": "pid" }, { "type": "network" }, { "type": "ipc" },
			{ "type": "uts" }, { "type": "mount" }
		],
		"maskedPaths": [
			"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
			"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
		],
		"readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
	}
}
JSON
