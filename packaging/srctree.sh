#!/bin/bash
# Copies the source tree into DEST for a package build: what git tracks plus new files it
# does not ignore (without git: everything but .git, target and build). Modification times
# are kept, so a second build from a fresh copy into the same CARGO_TARGET_DIR (the .deb's,
# then the .rpm's: target/pkg-cargo) finds its artefacts fresh instead of rebuilding.
#   packaging/srctree.sh DEST
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
dest=$1
root=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$dest"
mkdir -p "$dest"
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # -c lists files deleted from the work tree too: keep those that exist.
    git ls-files -z -c -o --exclude-standard |
        while IFS= read -r -d '' f; do
            if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
        done |
        tar --null -T - -cf - |
        tar -xf - -C "$dest"
else
    tar --exclude=./.git --exclude=./target --exclude=./build -cf - . | tar -xf - -C "$dest"
fi
