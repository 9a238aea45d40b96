#!/usr/bin/env bash
# Sets up dotcompute on a fresh Debian 12 machine: installs the Debian packages
# it needs (when missing; PoCL provides an OpenCL device on the CPU), builds it
# in ./build (Release, Ninja), then runs the demo: every sample kernel on every
# device, checked against C++ references.
set -euo pipefail
cd "$(dirname "$0")"

packages=(g++ cmake ninja-build libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev clang-format
          pocl-opencl-icd ocl-icd-opencl-dev opencl-headers)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bootstrap: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build
./build/bin/dotcompute demo
