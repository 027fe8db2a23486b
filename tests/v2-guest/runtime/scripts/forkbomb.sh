# c3: forks sleepers until the kernel refuses (the subshell exits on "can't fork"), says so, and
# stays alive without forking again (the cgroup is full).
( while :; do sleep 1000 & done ) 2>/dev/null
echo refused > /out/refused
exec sleep 1000
