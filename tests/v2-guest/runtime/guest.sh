#!/bin/sh
# skiff-runc itself on pure cgroup v2: real containers with resources, judged by the cgroup files the
# kernel shows and by what the processes inside can and cannot do. Runs inside the v2 guest (busybox
# sh), from /skiff: skiff-runc, rootfs/ (a busybox rootfs with the container scripts in /scripts).
# Prints one TAP line per check, numbered from TAP_OFFSET, then "SKIFF-V2-RUNTIME-RESULT pass=N fail=N";
# exits 0 only when every check passed. Three containers in all: TCG makes each start cost ~1.5 s.
here=/skiff
runc="timeout 60 $here/skiff-runc --root /tmp/skiff-state"
parent=/skiff-guest
cg=/sys/fs/cgroup$parent
n=${TAP_OFFSET:-0}
tap_label=skiff-runc
. $here/tap.sh

file_is() { equals "$1/$2" "$(cat "$1/$2" 2>&1)" "$3"; }

# quiet NAME ARGS...: skiff-runc ARGS with the container's stdio in /tmp/out/NAME.stdio (a container
# process holds what it inherits open, and a $(...) around it would wait for the container's end).
quiet() {
    log=/tmp/out/$1.stdio; shift
    $runc "$@" </dev/null >"$log" 2>&1 || { cat "$log"; return 1; }
}

status_of() { $runc state "$1" 2>/dev/null | grep -o '"status": *"[a-z]*"' | grep -o '[a-z]*"$' | tr -d '"'; }
pid_of() { $runc state "$1" 2>/dev/null | grep -o '"pid": *[0-9]*' | grep -o '[0-9]*$'; }
is_stopped() { [ "$(status_of "$1")" = stopped ]; }

# bundle NAME SCRIPT RESOURCES [DEVICES]: a bundle whose process runs /scripts/SCRIPT, with its own
# cgroup $parent/NAME, a cgroup namespace and a writable /out (the host's /tmp/out/NAME).
bundle() {
    mkdir -p "/tmp/bundles/$1" "/tmp/out/$1"
    cat > "/tmp/bundles/$1/config.json" <<JSON
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false, "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/sh", "/scripts/$2" ],
    "env": [ "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ], "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_KILL", "CAP_AUDIT_WRITE" ], "effective": [ "CAP_KILL", "CAP_AUDIT_WRITE" ],
      "permitted": [ "CAP_KILL", "CAP_AUDIT_WRITE" ]
    },
    "noNewPrivileges": true
  },
  "root": { "path": "$here/rootfs", "readonly": true },
  "hostname": "$1",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "mode=755" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": [ "nosuid", "noexec", "nodev", "ro" ] },
    { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": [ "nosuid", "noexec", "nodev", "ro" ] },
    { "destination": "/out", "type": "bind", "source": "/tmp/out/$1", "options": [ "rbind", "rw" ] }
  ],
  "linux": {
    "cgroupsPath": "$parent/$1",
    "resources": $3,
    "devices": [ ${4:-} ],
    "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" },
                    { "type": "network" }, { "type": "cgroup" } ]
  }
}
JSON
}

mkdir -p /tmp/skiff-state

# --- c1: every limit at once, the cgroup namespace, devices, update, pause/resume, stats, delete ---
bundle c1 limits.sh '{
    "memory": { "limit": 134217728, "swap": 201326592 },
    "pids": { "limit": 64 },
    "cpu": { "shares": 512, "quota": 50000, "period": 100000, "cpus": "1", "mems": "0" },
    "blockIO": { "weight": 500 },
    "devices": [ { "allow": false, "access": "rwm" },
                 { "allow": true, "type": "b", "major": 1, "minor": 0, "access": "rwm" } ]
  }' '{ "path": "/dev/ram0", "type": "b", "major": 1, "minor": 0, "fileMode": 432 },
      { "path": "/dev/ram1", "type": "b", "major": 1, "minor": 1, "fileMode": 432 }'

# Every migration between cgroups fires cgroup:cgroup_attach_task; a process cloned straight into
# its cgroup (clone3 CLONE_INTO_CGROUP) never migrates.
tracing=/sys/kernel/tracing
grep -q " $tracing " /proc/mounts || mount -t tracefs tracefs $tracing
echo > $tracing/trace
echo 1 > $tracing/events/cgroup/cgroup_attach_task/enable
check "create c1" quiet c1 create --bundle /tmp/bundles/c1 c1
echo 0 > $tracing/events/cgroup/cgroup_attach_task/enable
pid=$(pid_of c1)

c1_born_in_cgroup() {
    equals "/proc/$pid/cgroup" "$(cat /proc/$pid/cgroup)" "0::$parent/c1" || return 1
    ! grep "$parent/c1" $tracing/trace || { echo "the init was migrated into its cgroup, not cloned into it"; return 1; }
}
check "c1's init is in its cgroup from its first instruction (no migration traced)" c1_born_in_cgroup

c1_limits() {
    file_is $cg/c1 memory.max 134217728 &&
    file_is $cg/c1 memory.swap.max 67108864 &&
    file_is $cg/c1 pids.max 64 &&
    file_is $cg/c1 cpu.max "50000 100000" &&
    file_is $cg/c1 cpu.weight 59 &&
    file_is $cg/c1 io.bfq.weight "default 500" &&
    file_is $cg/c1 cpuset.cpus 1 &&
    file_is $cg/c1 cpuset.mems 0
}
check "memory.max, memory.swap.max, pids.max, cpu.max, cpu.weight, io.bfq.weight, cpuset.cpus/mems" c1_limits

check "start c1" $runc start c1
check "c1 runs its script" until_ok 30 test -s /tmp/out/c1/ready

c1_cgroupns() {
    equals "/proc/self/cgroup inside" "$(cat /tmp/out/c1/cgroup)" "0::/" &&
    equals "the /sys/fs/cgroup mount inside" "$(cut -d' ' -f1-3 /tmp/out/c1/mount)" "cgroup2 /sys/fs/cgroup cgroup2" &&
    case " $(cut -d' ' -f4 /tmp/out/c1/mount | tr , ' ') " in *" ro "*) ;; *) echo "mounted $(cat /tmp/out/c1/mount), not read-only"; false ;; esac &&
    equals "memory.max seen inside" "$(cat /tmp/out/c1/inner-memory.max)" 134217728
}
check "the cgroup namespace shows / and a read-only cgroup2 mount of the container's own cgroup" c1_cgroupns

c1_devices() {
    equals "opening the allowed /dev/ram0" "$(cat /tmp/out/c1/allowed)" opened &&
    equals "opening the denied /dev/ram1" "$(cat /tmp/out/c1/denied)" refused &&
    grep -q 'not permitted' /tmp/out/c1/denied.err || { echo "denied with: $(cat /tmp/out/c1/denied.err)"; return 1; }
}
check "the eBPF device program lets the allowed device open and refuses the denied one (EPERM)" c1_devices

c1_update() {
    $runc update --memory 100663296 --memory-swap 167772160 --pids-limit 32 --cpu-quota 25000 c1 &&
    file_is $cg/c1 memory.max 100663296 &&
    file_is $cg/c1 memory.swap.max 67108864 &&
    file_is $cg/c1 pids.max 32 &&
    file_is $cg/c1 cpu.max "25000 100000" &&
    echo '{ "pids": { "limit": 48 }, "cpu": { "cpus": "0-1" } }' | $runc update --resources - c1 &&
    file_is $cg/c1 pids.max 48 &&
    file_is $cg/c1 cpuset.cpus 0-1 &&
    file_is $cg/c1 memory.max 100663296
}
check "update changes limits (flags and --resources -) and leaves the others" c1_update

counter() { cat /tmp/out/c1/counter 2>/dev/null; }
c1_pause() {
    $runc pause c1 &&
    equals "status" "$(status_of c1)" paused &&
    file_is $cg/c1 cgroup.freeze 1 &&
    grep -qx 'frozen 1' $cg/c1/cgroup.events || { echo "cgroup.events: $(cat $cg/c1/cgroup.events)"; return 1; }
    before=$(counter); sleep 1
    equals "the counter while paused" "$(counter)" "$before"
}
check "pause freezes c1 through cgroup.freeze (the counter stops)" c1_pause

c1_stats() {
    stats=$($runc events --stats c1) || return 1
    pids=$(echo "$stats" | grep -o '"pids":{[^}]*}' | grep -o '"current": *[0-9][0-9]*' | cut -d: -f2 | tr -d ' ')
    limit=$(echo "$stats" | grep -o '"pids":{[^}]*}' | grep -o '"limit": *[0-9][0-9]*' | cut -d: -f2 | tr -d ' ')
    usage=$(echo "$stats" | sed 's/.*"memory":{//' | grep -o '"usage":{[^}]*}' | head -1 | grep -o '"usage": *[0-9][0-9]*' | cut -d: -f2 | tr -d ' ')
    echo "$stats" | grep -q '"type":"stats"' || { echo "not a stats event: $stats"; return 1; }
    equals "stats pids.current" "$pids" "$(cat $cg/c1/pids.current)" &&
    equals "stats pids.limit" "$limit" "$(cat $cg/c1/pids.max)" &&
    equals "stats memory usage" "$usage" "$(cat $cg/c1/memory.current)"
}
check "events --stats matches pids.current, pids.max and memory.current" c1_stats

c1_resume() {
    $runc resume c1 &&
    equals "status" "$(status_of c1)" running &&
    file_is $cg/c1 cgroup.freeze 0 &&
    before=$(counter) &&
    until_ok 10 sh -c "[ \"\$(cat /tmp/out/c1/counter)\" -gt $((before + 2)) ]"
}
check "resume thaws c1 (the counter advances again)" c1_resume

c1_delete() {
    $runc kill c1 KILL && until_ok 20 is_stopped c1 && $runc delete c1 &&
    { [ ! -e $cg/c1 ] || { echo "$cg/c1 is still there"; return 1; }; }
}
check "delete removes c1's cgroup" c1_delete

# --- c2: a memory hog is OOM-killed and `events` reports it ---
bundle c2 hog.sh '{ "memory": { "limit": 25165824, "swap": 25165824 } }'
c2_oom() {
    quiet c2 create --bundle /tmp/bundles/c2 c2 || return 1
    $runc events --interval 200ms c2 </dev/null > /tmp/out/c2.events 2>&1 &
    events=$!
    # A stats line shows events is watching (its OOM watch opens first); only then may the hog run.
    until_ok 30 grep -q '"type":"stats"' /tmp/out/c2.events || { echo "events printed: $(cat /tmp/out/c2.events)"; return 1; }
    $runc start c2 &&
    until_ok 60 is_stopped c2 || return 1
    file_is $cg/c2 memory.max 25165824 &&
    file_is $cg/c2 memory.swap.max 0 || return 1
    kills=$(grep '^oom_kill ' $cg/c2/memory.events | cut -d' ' -f2)
    [ "${kills:-0}" -ge 1 ] || { echo "memory.events: $(cat $cg/c2/memory.events)"; return 1; }
    until_ok 10 sh -c "! kill -0 $events"
    grep -q '"type":"oom"' /tmp/out/c2.events || { echo "events printed: $(cat /tmp/out/c2.events)"; return 1; }
}
check "a memory hog is OOM-killed at memory.max and events reports the OOM" c2_oom
check "delete removes c2's cgroup" sh -c "$runc delete c2 && [ ! -e $cg/c2 ]"

# --- c3: a fork bomb stops at pids.max ---
bundle c3 forkbomb.sh '{ "pids": { "limit": 16 } }'
c3_forkbomb() {
    quiet c3 run --detach --bundle /tmp/bundles/c3 c3 || return 1
    until_ok 60 test -s /tmp/out/c3/refused || { echo "the bomb never saw a refused fork"; return 1; }
    # 16 at the refusal: the init, the bomb's subshell and 14 sleepers; the subshell has exited since.
    file_is $cg/c3 pids.max 16 &&
    file_is $cg/c3 pids.current 15 || return 1
    refused=$(grep '^max ' $cg/c3/pids.events | cut -d' ' -f2)
    [ "${refused:-0}" -ge 1 ] || { echo "pids.events: $(cat $cg/c3/pids.events)"; return 1; }
}
check "a fork bomb stops at pids.max (forks refused, 14 sleepers left)" c3_forkbomb
check "delete --force removes c3 and its cgroup" sh -c "$runc delete --force c3 && [ ! -e $cg/c3 ]"

left=$(ls $cg 2>/dev/null | grep -c '^c[0-9]')
check "nothing left behind under $parent" equals "cgroups left" "$left" 0
rmdir $cg 2>/dev/null

echo "SKIFF-V2-RUNTIME-RESULT pass=$pass fail=$fail"
[ $fail -eq 0 ]
