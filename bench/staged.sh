#!/usr/bin/env bash
# Pre-commit latency against gitleaks v8.30.1 (bench/README.md).
#   bench/staged.sh [RUNS]   (default 10)
# Builds a ~50-file repo, stages one change adding a GitHub token (generated
# here, format-valid, belonging to no one), and times `scan staged` and
# `gitleaks git --pre-commit --staged` alternately. Also checks that both
# block the secret and pass a clean change.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
gitleaks=${GITLEAKS:-/tmp/peers/bin/gitleaks}
[ -x "$gitleaks" ] || (cd /tmp && GOBIN=$(dirname "$gitleaks") go install github.com/zricethezav/gitleaks/v8@v8.30.1)
out=bench/out; mkdir -p "$out"
go build -o "$out/scan" ./cmd/scan
repo=$(mktemp -d); trap 'rm -rf "$repo"' EXIT
git -C "$repo" init -q
for i in $(seq 50); do printf 'package p\n\n// file %d\nfunc F%d() int { return %d }\n' "$i" "$i" "$i" > "$repo/f$i.go"; done
git -C "$repo" add . && git -C "$repo" -c user.name=b -c user.email=b@example.com commit -qm init
tok=$(go run ./bench/gentoken)
printf 'package p\n\nconst token = "%s"\n' "$tok" > "$repo/leak.go"
git -C "$repo" add leak.go
t() { local s e rc; s=$(date +%s%N); "$@" >/dev/null 2>&1 && rc=0 || rc=$?; e=$(date +%s%N); echo "$(( (e-s)/1000000 )) $rc"; }
: > "$out/staged-nh.times"; : > "$out/staged-gl.times"
for i in $(seq "$runs"); do
  (cd "$repo" && t "$OLDPWD/$out/scan" staged) >> "$out/staged-nh.times"
  (cd "$repo" && t "$gitleaks" git --pre-commit --staged --no-banner .) >> "$out/staged-gl.times"
done
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
nh=$(cut -d' ' -f1 "$out/staged-nh.times" | median); gl=$(cut -d' ' -f1 "$out/staged-gl.times" | median)
echo "scan staged: median ${nh} ms (exit $(head -1 "$out/staged-nh.times" | cut -d' ' -f2)); gitleaks --pre-commit --staged: median ${gl} ms (exit $(head -1 "$out/staged-gl.times" | cut -d' ' -f2))"
rss_nh=$(cd "$repo" && { /usr/bin/time -f %M "$OLDPWD/$out/scan" staged -q 2>&1 >/dev/null || true; } | tail -1)
rss_gl=$(cd "$repo" && { /usr/bin/time -f %M "$gitleaks" git --pre-commit --staged --no-banner --log-level error . 2>&1 >/dev/null || true; } | tail -1)
echo "peak RSS: nhiscan ${rss_nh} KB, gitleaks ${rss_gl} KB"
git -C "$repo" reset -q leak.go && printf 'package p\n\nconst x = 1\n' > "$repo/clean.go" && git -C "$repo" add clean.go
(cd "$repo" && "$OLDPWD/$out/scan" staged -q) && echo "clean change: scan staged exit 0" || echo "clean change: scan staged exit $?"
