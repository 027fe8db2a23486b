#!/bin/bash
# Publish skiff's executables as linux-x64 NativeAOT binaries into artifacts/bin/.
# Intermediate files go under artifacts/build/ so a build never collides with the bin/obj of an IDE.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/artifacts/bin
# Every executable in the solution ships; one that does not build fails the build.
projects=(src/Skiff.Runc/Skiff.Runc.csproj src/Skiff/Skiff.csproj tests/Skiff.ForkStress/Skiff.ForkStress.csproj)

command -v dotnet >/dev/null || { echo "build: dotnet not found (scripts/install-deps.sh says how to get it)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

mkdir -p "$out"
for p in "${projects[@]}"; do
    echo "build: publishing $p (Release, linux-x64, NativeAOT)" >&2
    dotnet publish "$repo/$p" -c Release -r linux-x64 --nologo -v quiet \
        --artifacts-path "$repo/artifacts/build" -o "$out" \
        || { echo "build: publishing $p failed" >&2; exit 1; }
done
ls -l "$out" >&2
