#!/usr/bin/env bash
# Push-protection benchmark: pushes a whole history into an empty bare
# repository whose pre-receive hook is `scan pre-receive`, and prints the
# hook's own wall time (from git starting it to its exit) and the whole
# push's, under three policies:
#   unbounded   --timeout 10m                  how long the scan really takes
#   default     --timeout 4s (--on-timeout open, the default)
#   closed      --timeout 4s --on-timeout closed
#   bench/push.sh                       # a generated history (COMMITS=3000)
#   SRC=/path/to/repo.git REF=main bench/push.sh   # a real repository's branch
#   SRC=/path/to/repo.git MIRROR=1 bench/push.sh   # every ref of it, in one push
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/nhiscan-push-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
go build -o "$out/scan" ./cmd/scan
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

src=${SRC:-}
ref=${REF:-main}
if [ -z "$src" ]; then
  commits=${COMMITS:-3000}
  src=$out/gen.git
  git init -q --bare -b main "$src"
  # One commit a second, each changing two of 200 small files.
  awk -v n="$commits" 'BEGIN{
    srand(42)
    for (i = 1; i <= n; i++) {
      printf "commit refs/heads/main\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\ndata <<EOM\ncommit %d\nEOM\n", i, 1700000000 + i, i
      if (i > 1) printf "from :%d\n", i - 1
      for (k = 0; k < 2; k++) {
        body = ""
        for (l = 0; l < 30; l++) body = body sprintf("line %d of commit %d: value_%08x\n", l, i, int(rand() * 4294967295))
        printf "M 100644 inline src/file%03d.go\ndata %d\n%s\n", int(rand() * 200), length(body), body
      }
    }
  }' | git -C "$src" fast-import --quiet
fi
spec="$ref:refs/heads/main"
revs=("$ref")
if [ -n "${MIRROR:-}" ]; then spec="+refs/*:refs/*"; revs=(--all); ref="(every ref: $(git -C "$src" for-each-ref | wc -l))"; fi
n=$(git -C "$src" rev-list --count "${revs[@]}")
blobs=$(git -C "$src" rev-list --objects "${revs[@]}" | cut -d" " -f1 | git -C "$src" cat-file --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{c++; s+=$2} END{printf "%d blobs, %.1f MB", c, s/1e6}')
echo "source: $src $ref: $n commits, $blobs"

run() { # name, hook args...
  local name=$1; shift
  local bare=$out/$name.git
  git init -q --bare -b main "$bare"
  {
    echo '#!/bin/sh'
    echo "s=\$(date +%s.%N)"
    printf '%q pre-receive' "$out/scan"; printf ' %q' "$@" --bypass-log "$out/$name.log"; echo
    echo 'rc=$?'
    echo "echo \"\$s \$(date +%s.%N) \$rc\" > $out/$name.time"
    echo 'exit $rc'
  } > "$bare/hooks/pre-receive"
  chmod +x "$bare/hooks/pre-receive"
  local t0 t1
  t0=$(date +%s.%N)
  if git -C "$src" push -q "$bare" "$spec" > "$out/$name.out" 2>&1; then res=accepted; else res=rejected; fi
  t1=$(date +%s.%N)
  read -r hs he rc < "$out/$name.time"
  awk -v n="$name" -v r="$res" -v hs="$hs" -v he="$he" -v t0="$t0" -v t1="$t1" -v rc="$rc" 'BEGIN{
    printf "%-10s hook %6.2f s (exit %d)  whole push %6.2f s  -> %s\n", n, he-hs, rc, t1-t0, r }'
  grep -h -o '"event":"[a-z-]*"' "$out/$name.log" 2>/dev/null | sort | uniq -c | sed 's/^/           bypass log: /' || true
  grep -E 'WARNING|rejected|secret' "$out/$name.out" | head -3 | sed 's/^/           /' || true
}
run unbounded --timeout 10m
run default
run closed --on-timeout closed
