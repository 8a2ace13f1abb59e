#!/usr/bin/env bash
# Configures and builds ztai, its tests and benchmarks into ./build (or $ZTAI_BUILD_DIR).
# Used by both README commands, the CI and the container image.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${ZTAI_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@"
cmake --build "$build_dir" -j"$(nproc)"
