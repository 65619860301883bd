#!/usr/bin/env bash
# Builds the peer and lays out the benchmark repositories (bench/README.md).
#   bench/prepare.sh [REPO ...]
# Builds gitleaks v8.30.1 into $PEERS (default /tmp/peers/bin) once, and for
# each REPO (a bare git directory or a checkout; a URL is cloned --mirror)
# makes two copies under $BENCH (default /tmp/bench):
#   NAME.git     as given (missing objects and all): what nhiscan scans
#   NAME-gl.git  with missing blobs pointed at the empty blob via replace
#                refs: gitleaks aborts on a missing object, nhiscan counts
#                it, and this way both tools read the same bytes.
set -euo pipefail
peers=${PEERS:-/tmp/peers/bin}
bench=${BENCH:-/tmp/bench}
mkdir -p "$peers" "$bench"
if [ ! -x "$peers/gitleaks" ]; then
  (cd /tmp && GOBIN="$peers" go install github.com/zricethezav/gitleaks/v8@v8.30.1)
fi
echo "peer: $("$peers/gitleaks" version 2>/dev/null || echo gitleaks)"
for src in "$@"; do
  name=
  case "$src" in
    http*://*) # https://github.com/OWNER/NAME(.git) -> OWNER-NAME
      name=$(echo "${src%.git}" | awk -F/ '{print $(NF-1) "-" $NF}')
      dir="$bench/$name.src.git"
      [ -d "$dir" ] || git clone -q --mirror "$src" "$dir"
      src=$dir ;;
  esac
  [ -d "$src/.git" ] && src="$src/.git"
  # A mirror path like …/owner+name/repo names the copy owner-name.
  [ -n "$name" ] || name=$(echo "$src" | grep -o '[^/]*+[^/]*' | head -1 | sed 's/+/-/g' || true)
  [ -n "$name" ] || name=$(basename "$src" .git)
  for dest in "$bench/$name.git" "$bench/$name-gl.git"; do
    [ -d "$dest" ] || cp -r "$src" "$dest"
  done
  gl="$bench/$name-gl.git"
  e=$(git -C "$gl" hash-object -w --stdin </dev/null)
  n=0
  for m in $(git -C "$gl" rev-list --all --objects --missing=print | grep '^?' | cut -c2- || true); do
    git -C "$gl" update-ref "refs/replace/$m" "$e"; n=$((n+1))
  done
  echo "$bench/$name.git ($(git -C "$bench/$name.git" rev-list --all --count) commits) and $gl ($n missing blobs patched for gitleaks)"
done
