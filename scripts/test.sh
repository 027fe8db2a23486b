#!/bin/bash
# The whole test suite: Debian packages, the NativeAOT build, then every test project in skiff.sln.
# The integration tests run real containers with the published runtime (SKIFF_RUNTIME), as root.
# Prints each test project's summary and a closing "N passed, N failed, N skipped" line; exits
# non-zero on any failure, and when no test ran at all.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

[ "$(id -u)" -eq 0 ] || { echo "test: run as root: the integration tests create namespaces, cgroups and mounts" >&2; exit 1; }

# The .NET SDK leaves empty directories in $TMPDIR on every build and test run: a private TMPDIR,
# removed at the end, keeps them off the machine. Traversable like /tmp (containers' bundles live
# below it); removed without crossing into other file systems, should a test have leaked a mount.
scratch=$(mktemp -d /tmp/skiff-test.XXXXXX)
chmod 755 "$scratch"
trap 'rm -rf --one-file-system "$scratch"' EXIT
export TMPDIR=$scratch

bash scripts/install-deps.sh
bash scripts/build.sh

export SKIFF_RUNTIME=${SKIFF_RUNTIME:-$repo/artifacts/bin/skiff-runc}
[ -x "$SKIFF_RUNTIME" ] || { echo "test: $SKIFF_RUNTIME was not built" >&2; exit 1; }
echo "test: runtime under test: $SKIFF_RUNTIME" >&2

log=$repo/artifacts/test.log
mkdir -p "$repo/artifacts"
set +e
dotnet test "$repo/skiff.sln" --nologo --artifacts-path "$repo/artifacts/test" </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One summary line per test project, as VSTest prints it:
#   Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, Duration: ...
read -r failed passed skipped total < <(
    sed -n 's/.*\(Passed\|Failed\)! *- *Failed: *\([0-9]*\), *Passed: *\([0-9]*\), *Skipped: *\([0-9]*\), *Total: *\([0-9]*\).*/\2 \3 \4 \5/p' "$log" |
        awk '{f+=$1; p+=$2; s+=$3; t+=$4} END {print f+0, p+0, s+0, t+0}')

# cgroup v2 and AppArmor cannot be shown on this host: one boot of a v2-only guest kernel runs
# the cgroup probe, skiff-runc's containers on pure v2, and the AppArmor checks (tests/lsm-guest
# carries its payload into tests/v2-guest).
set +e
bash "$repo/tests/lsm-guest/run.sh" </dev/null 2>&1 | tee "$repo/artifacts/v2-guest.log"
guest=${PIPESTATUS[0]}
set -e
guest_passed=$(grep -c '^ok ' "$repo/artifacts/v2-guest.log" || true)
guest_failed=$(grep -c '^not ok ' "$repo/artifacts/v2-guest.log" || true)

echo
grep -E '(Passed|Failed)! +- ' "$log" || true
echo "v2-guest: $guest_passed passed, $guest_failed failed"
echo "tests: $passed passed, $failed failed, $skipped skipped"

if [ "$status" -ne 0 ]; then
    echo "test: dotnet test failed (exit $status)" >&2
    exit "$status"
fi
if [ "$guest" -ne 0 ]; then
    echo "test: the guest run (cgroup v2, AppArmor) failed (exit $guest)" >&2
    exit "$guest"
fi
if [ "$failed" -ne 0 ]; then
    exit 1
fi
if [ "$total" -eq 0 ] || [ "$passed" -eq 0 ]; then
    echo "test: no test ran" >&2
    exit 1
fi
