#!/usr/bin/env bash
# Installs every build and test dependency of ztai from Debian 12 packages.
# Idempotent: packages already present are not fetched again, and apt-get update runs only when
# something is missing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

packages=(
  # toolchain and build
  build-essential cmake pkg-config git ca-certificates
  clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev linux-libc-dev
  # libraries the agent links
  libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libre2-dev libvectorscan-dev libsimdjson-dev
  libcurl4-openssl-dev libnghttp2-dev libcapstone-dev librdkafka-dev libsystemd-dev libssl-dev librelp-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # packaging: the .deb's tests check it with lintian; dpkg-shlibdeps (dpkg-dev) fills its Depends
  lintian dpkg-dev
  # tools the tests drive
  iproute2 procps curl openssl gnutls-bin python3 rsyslog rsyslog-relp rsyslog-openssl stress-ng golang-go nodejs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# npm ships inside some nodejs builds and conflicts with Debian's npm package there.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
