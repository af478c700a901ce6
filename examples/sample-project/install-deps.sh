#!/usr/bin/env bash
# The sample project's "npm ci": fills deps/ from deps.lock, slowly, unless deps/ already matches.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f deps/.installed ] && cmp -s deps/.installed deps.lock; then
  echo "deps/ is up to date: nothing to install"
  exit 0
fi
echo "installing dependencies into deps/ ..."
rm -rf deps
while read -r name version; do
  case "$name" in ''|'#'*) continue ;; esac
  for i in $(seq 1 200); do
    mkdir -p "deps/$name/lib/$((i % 10))"
    printf 'module %s@%s part %d\n' "$name" "$version" "$i" > "deps/$name/lib/$((i % 10))/part-$i.js"
  done
  printf '#!/bin/sh\necho %s %s\n' "$name" "$version" > "deps/$name/cli"
  chmod +x "deps/$name/cli"
done < deps.lock
cp deps.lock deps/.installed
echo "installed $(find deps -type f | wc -l) files"
