#!/usr/bin/env bash
# Installs the Debian packages Palisade needs to build and run its eBPF datapath and tests:
# clang/llvm (BPF compiler), libbpf/libelf/zlib headers, kernel uapi headers, iproute2, the
# native-addon toolchain, and the real container runtimes the CNI tests start (containerd, runc,
# podman, the reference CNI plugins, and busybox-static for the locally built test image; gcc for
# the CNI plugin binary), prometheus (its promtool checks deploy/prometheus, and the observability
# tests start their own server on a free loopback port; the package also enables a system
# prometheus.service on :9090, which nothing here needs), and chromium, the headless browser the
# web console's tests drive through puppeteer-core (which never downloads a browser of its own).
# Used by the README's quickstart and by .ci/run. Needs root (apt-get). Safe to run again:
# installed packages are left as they are.
set -euo pipefail

packages=(clang llvm libbpf-dev libelf-dev zlib1g-dev linux-libc-dev iproute2 make g++ python3
  gcc containerd runc podman containernetworking-plugins busybox-static prometheus chromium)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: run as root (e.g. sudo bash scripts/install-system-deps.sh); needs: ${packages[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-system-deps: installed ${packages[*]}"
