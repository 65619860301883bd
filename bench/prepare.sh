#!/usr/bin/env bash
# Prepares what bench/history.sh and bench/staged.sh compare against:
#   bench/prepare.sh [BARE_REPO ...]
#
# 1. Builds the peer, gitleaks v8.30.1, with `go install` into a temporary
#    GOBIN (default /tmp/peers/bin; set PEERS to change it). It is a
#    reference to measure against, never a dependency of nhiscan.
# 2. For each bare repository given (a mirror clone, `git clone --mirror
#    URL`), makes two copies under BENCH_DIR (default /tmp/bench):
#      NAME.git     unchanged, missing objects and all: what nhiscan scans
#      NAME-gl.git  the same, with every missing blob replaced by the empty
#                   blob through replace refs (refs/replace/<missing>), which
#                   git honours: `gitleaks git` stops at the first object it
#                   cannot read, and this way both tools see the same bytes.
# Missing objects are what partial and shallow clones have; nhiscan scans
# everything else and reports how many it could not read.
set -euo pipefail
peers=${PEERS:-/tmp/peers/bin}
dir=${BENCH_DIR:-/tmp/bench}
mkdir -p "$peers" "$dir"

if [ ! -x "$peers/gitleaks" ]; then
  # Outside the module, so that nhiscan's go.mod is neither read nor changed.
  (cd "$(mktemp -d)" && GOBIN="$peers" GOFLAGS= go install github.com/zricethezav/gitleaks/v8@v8.30.1)
fi
echo "peer: $peers/gitleaks ($("$peers/gitleaks" version 2>/dev/null || echo 'version unknown'))"

for src in "$@"; do
  [ -d "$src/.git" ] && src="$src/.git"
  git -C "$src" rev-parse --is-bare-repository >/dev/null 2>&1 || { echo "$src: not a git repository" >&2; exit 2; }
  name=$(basename "$(cd "$src" && pwd)" .git)
  [ "$name" = .git ] && name=$(basename "$(cd "$src/.." && pwd)")
  for dest in "$dir/$name.git" "$dir/$name-gl.git"; do
    [ -d "$dest" ] || cp -r "$src" "$dest"
  done
  gl="$dir/$name-gl.git"
  empty=$(git -C "$gl" hash-object -w --stdin </dev/null)
  n=0
  for m in $(git -C "$gl" rev-list --all --objects --missing=print | sed -n 's/^?//p'); do
    git -C "$gl" update-ref "refs/replace/$m" "$empty"
    n=$((n + 1))
  done
  echo "$dir/$name.git: $(git -C "$dir/$name.git" rev-list --all --count) commits; $gl: $n missing blobs replaced for gitleaks"
done
echo "then: REPO=$dir/NAME.git bench/history.sh 3    and    bench/staged.sh 10"
