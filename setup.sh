#!/usr/bin/env bash
# Installs what MarlEdge needs on a fresh Debian 12 machine (with the .NET 10 SDK on PATH) and builds it:
# Debian's sumo, mosquitto, fonts (for the PNG plots) and clang (the edge runtime's Native AOT publish), the NuGet restore, and the build, which applies the
# TorchSharp fix for Debian 12's libstdc++ to every output copy of libLibTorchSharp.so (see build/PatchLibTorchSharp.cs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet not found on PATH)" >&2; exit 2; }
missing=()
command -v sumo >/dev/null || missing+=(sumo)
command -v mosquitto >/dev/null && [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core fontconfig)
# The edge runtime's Native AOT publish (runtime/MarlEdge.Runtime.csproj, tests/Runtime/PublishTests): clang compiles and links,
# zlib1g-dev is linked in, llvm-objcopy strips the symbols into marl-edge.dbg; lld links the cross-compiled linux-arm64 one.
command -v clang >/dev/null || missing+=(clang)
command -v ld.lld >/dev/null || missing+=(lld)
command -v llvm-objcopy >/dev/null || missing+=(llvm)
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from Debian" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# mosquitto's Debian service is not needed: tests start their own broker on a free loopback port.

echo "setup: restoring NuGet packages and building (Debug for tests, Release for ./marl)" >&2
dotnet restore "$root/MarlEdge.sln" -v quiet
dotnet build "$root/MarlEdge.sln" -c Debug --no-restore -nologo -v quiet -clp:ErrorsOnly
echo "setup: done" >&2
