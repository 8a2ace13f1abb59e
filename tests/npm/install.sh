#!/usr/bin/env bash
# Installs the pinned npm clients into DEST (the build tree) unless the lock file there is already
# this one: the tests drive real, unmodified client libraries, never copies kept in the repository.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
dest=$1
mkdir -p "$dest"
if cmp -s "$src/package-lock.json" "$dest/package-lock.json" && [ -d "$dest/node_modules" ]; then
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
npm ci --no-audit --no-fund --loglevel=error
