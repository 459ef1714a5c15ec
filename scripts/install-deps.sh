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
  # promtool (Debian ships it in prometheus): tests/integration/test_metrics.py checks GET /metrics
  # with `promtool check metrics`. The Prometheus server it brings is kept from starting (below).
  prometheus
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
# Only promtool is wanted from the prometheus package: a policy-rc.d that refuses (exit 101) keeps
# its postinst from starting the server, and on a machine running systemd it is disabled after.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=true
fi
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
if $own_policy; then $sudo rm -f "$policy"; fi
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
