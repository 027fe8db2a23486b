# TAP helpers for the scripts that run inside the v2 guest (busybox sh), sourced after setting
# tap_label (each line's prefix) and n (the number of the last TAP line printed before).
pass=0
fail=0

# check NAME COMMAND...: one TAP line; a failing command's output becomes the reason.
check() {
    name=$1; shift
    n=$((n + 1))
    if out=$("$@" 2>&1); then
        pass=$((pass + 1)); echo "ok $n - $tap_label: $name"
    else
        fail=$((fail + 1)); echo "not ok $n - $tap_label: $name: $(echo "$out" | tr '\n' ' ' | cut -c1-400)"
    fi
}

# equals WHAT ACTUAL EXPECTED
equals() {
    [ "$2" = "$3" ] || { echo "$1 is '$2', expected '$3'"; return 1; }
}

# contains WHAT ACTUAL PART
contains() { case "$2" in *"$3"*) return 0 ;; esac; echo "$1 '$2' does not mention '$3'"; return 1; }

# until_ok SECONDS COMMAND...: polls until the command succeeds.
until_ok() {
    limit=$(($1 * 10)); shift
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -ge $limit ] && { echo "timed out waiting for: $*"; return 1; }
        sleep 0.1
    done
}
