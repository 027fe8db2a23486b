#!/bin/sh
# AppArmor checks for skiff-runc, run inside the v2 guest (busybox sh) after the harness's own:
# a container started with process.apparmorProfile runs confined by it, an exec'd process too, a
# profile the kernel does not know is an error, and a /proc that is not procfs never receives the label.
# Brings its own skiff-runc, the libraries it links and a busybox rootfs (tests/lsm-guest/run.sh).
# Prints one TAP line per check and "SKIFF-LSM-RESULT pass=N fail=N"; exits 0 only when all passed.
here=$(pwd)
runc="timeout 60 $here/skiff-runc --root /tmp/skiff-lsm-state"
n=0
tap_label=apparmor
. /skiff/tap.sh

# bundle NAME PROFILE PROC_TYPE SCRIPT [MOUNT]: a bundle running sh -c SCRIPT under apparmorProfile
# PROFILE ("" for none), /proc of type PROC_TYPE, and MOUNT (JSON) mounted last.
bundle() {
    mkdir -p "/tmp/lsm-bundles/$1"
    profile=""
    [ -n "$2" ] && profile="\"apparmorProfile\": \"$2\","
    cat > "/tmp/lsm-bundles/$1/config.json" <<JSON
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false, "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/sh", "-c", "$4" ],
    "env": [ "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ], "cwd": "/",
    $profile
    "noNewPrivileges": true
  },
  "root": { "path": "$here/rootfs", "readonly": true },
  "mounts": [
    { "destination": "/proc", "type": "$3", "source": "$3" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "mode=755" ] }
    ${5:+, $5}
  ],
  "linux": {
    "cgroupsPath": "/skiff-lsm/$1",
    "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "network" } ]
  }
}
JSON
}

# --no-pivot: the guest's root may be the initramfs itself, which pivot_root cannot leave.
run_bundle() { $runc run --no-pivot --bundle "/tmp/lsm-bundles/$1" "$1"; }

cp -an libs/. /
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "the secret" > "$here/rootfs/aa-secret"

check "enabled in the guest kernel" equals enabled "$(cat /sys/module/apparmor/parameters/enabled 2>&1)" Y
check "test profile loads" "$here/apparmor_parser" -r -K "$here/skiff-aa-test.profile"

bundle confined skiff-aa-test proc 'cat /proc/self/attr/current; cat /aa-secret >/dev/null 2>&1 && echo readable || echo denied'
got=$(run_bundle confined 2>&1)
check "container runs in its profile" equals "attr/current" "$(echo "$got" | sed -n 1p)" "skiff-aa-test (enforce)"
check "the profile's deny rule holds in the container" equals "reading /aa-secret ($got)" "$(echo "$got" | sed -n 2p)" denied

bundle unconfined "" proc 'cat /proc/self/attr/current; cat /aa-secret'
got=$(run_bundle unconfined 2>&1)
check "without a profile the container is unconfined" equals output "$got" "unconfined
the secret"

bundle running "" proc 'sleep 60'
$runc run -d --no-pivot --bundle /tmp/lsm-bundles/running running >/dev/null 2>&1
got=$($runc exec --apparmor skiff-aa-test running cat /proc/self/attr/current 2>&1)
check "exec --apparmor confines the exec'd process" equals "attr/current" "$got" "skiff-aa-test (enforce)"
$runc delete -f running >/dev/null 2>&1

bundle unknown skiff-no-such-profile proc 'true'
got=$(run_bundle unknown 2>&1)
check "an unknown profile is an error naming it" contains "error" "$got" "skiff-no-such-profile"
check "an unknown profile leaves no container" equals "state" "$($runc state unknown 2>/dev/null)" ""

# CVE-2019-16884: a /proc that is not procfs must not receive the label, even where it holds files
# of the right names: the container does not start and the imitation stays untouched.
mkdir -p /tmp/fakeproc/thread-self/attr/apparmor
: > /tmp/fakeproc/thread-self/attr/apparmor/exec
: > /tmp/fakeproc/thread-self/attr/exec
bundle fakeproc skiff-aa-test bind 'echo ran'
sed -i 's|"type": "bind", "source": "bind" }|"type": "bind", "source": "/tmp/fakeproc", "options": [ "rbind", "rw" ] }|' /tmp/lsm-bundles/fakeproc/config.json
got=$(run_bundle fakeproc 2>&1)
status=$?
check "a fake /proc: the container does not start" equals "exit status ($got)" "$([ $status -ne 0 ] && echo failed || echo 0)" failed
# Refused at the mount, before the profile step is reached (only a procfs may go over /proc: runc's rule).
check "a fake /proc: the error names the refused mount" contains "error" "$got" "cannot be mounted because it is not of type proc"
check "a fake /proc: the label lands nowhere" equals "imitation files" "$(cat /tmp/fakeproc/thread-self/attr/apparmor/exec /tmp/fakeproc/thread-self/attr/exec)" ""

# CVE-2025-52881: another procfs file (here the container's domainname) bind-mounted over the
# attribute must not receive the label either; had it, the container would run unconfined.
bundle redirected skiff-aa-test proc 'cat /proc/self/attr/current' \
    '{ "destination": "/proc/thread-self/attr/apparmor/exec", "type": "bind", "source": "/proc/sys/kernel/domainname", "options": [ "bind" ] }'
got=$(run_bundle redirected 2>&1)
status=$?
check "a procfs file bound over the attribute: the container does not start" equals "exit status ($got)" "$([ $status -ne 0 ] && echo failed || echo 0)" failed
# Refused at the mount too: binds into /proc are refused but for the files lxcfs emulates.
check "a procfs file bound over the attribute: the error names the refused mount" contains "error" "$got" "cannot be mounted because it is inside /proc"

echo "SKIFF-LSM-RESULT pass=$pass fail=$fail"
[ $fail -eq 0 ]
