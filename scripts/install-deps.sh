#!/usr/bin/env bash
# Installs everything pfd needs to build and test, from Debian 12 packages only.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config git clang-format
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libspdlog-dev libfmt-dev libuv1-dev libyaml-cpp-dev libcurl4-openssl-dev
  libsystemd-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-yaml python3-jsonschema openssl procps iproute2 systemd
  # curl: the commands the demo (scripts/demo.sh) suggests for breaking its cluster.
  curl
  # socat: the relay bench (bench/relay.py) compares pfd's relay hop with it.
  socat
  # dbus-daemon: a private session bus for the desktop notification test (tests/integration).
  dbus-daemon
  # clang and its runtime libraries (libFuzzer, ASan, UBSan): the fuzzers (scripts/fuzz.sh).
  clang libclang-rt-14-dev
  # Packaging: dpkg-shlibdeps for the .deb, groff/man-db to lint the man pages, zsh and fish to
  # check the completions.
  dpkg-dev groff-base man-db zsh fish
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
