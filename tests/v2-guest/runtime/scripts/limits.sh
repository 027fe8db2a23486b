# c1: reports what the container sees of its cgroup and devices, then counts until killed.
cat /proc/self/cgroup > /out/cgroup
grep ' /sys/fs/cgroup ' /proc/self/mounts > /out/mount
cat /sys/fs/cgroup/memory.max > /out/inner-memory.max
if dd if=/dev/ram0 of=/dev/null bs=512 count=1 2>/out/allowed.err; then echo opened; else echo refused; fi > /out/allowed
if dd if=/dev/ram1 of=/dev/null bs=512 count=1 2>/out/denied.err; then echo opened; else echo refused; fi > /out/denied
echo ready > /out/ready
i=0
while :; do
    i=$((i + 1))
    echo $i > /out/counter.tmp
    mv /out/counter.tmp /out/counter
    sleep 0.2
done
