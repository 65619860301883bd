#!/usr/bin/env bash
# Full-history benchmark against gitleaks v8.30.1 (bench/README.md).
#   bench/history.sh [RUNS]        (default 3)
#   REPO=/tmp/bench/NAME.git SRC=<bare repo, checkout or URL> bench/history.sh
# Lays out NAME.git and NAME-gl.git with bench/prepare.sh when they are
# missing (from SRC, by default a mirror clone of github.com/etcd-io/etcd),
# builds nhiscan and the peer, then runs nhiscan, gitleaks and the floor
# (git cat-file --batch-all-objects) alternately (A B C A B C …) and prints
# median wall time, peak RSS, ratios and the unique-secret difference.
# Reports land in bench/out/ (git-ignored); they hold raw secrets of the
# benchmark repository, so keep them local.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
repo=${REPO:-/tmp/bench/etcd-io-etcd.git}
glrepo=${GLREPO:-${repo%.git}-gl.git}
gitleaks=${GITLEAKS:-/tmp/peers/bin/gitleaks}
if [ ! -d "$repo" ] || [ ! -d "$glrepo" ] || [ ! -x "$gitleaks" ]; then
  BENCH=$(dirname "$repo") PEERS=$(dirname "$gitleaks") bench/prepare.sh "${SRC:-https://github.com/etcd-io/etcd.git}"
fi
out=bench/out
mkdir -p "$out"
go build -o "$out/scan" ./cmd/scan
bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{print s}')

measure() { # name cmd... ; appends "wall rss" to $out/name.times
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/$name.one" "$@" >/dev/null 2>&1 || true
  grep -v '^Command' "$out/$name.one" >> "$out/$name.times"  # drop time's exit-status note
}
rm -f "$out"/*.times
for i in $(seq "$runs"); do
  measure nhiscan "$out/scan" git "$repo" --format json --report "$out/nhiscan.json" --show-secrets -q
  measure gitleaks "$gitleaks" git "$glrepo" --no-banner --log-level error --report-format json --report-path "$out/gitleaks.json"
  measure floor sh -c "git -C '$repo' cat-file --batch-all-objects --batch --unordered >/dev/null"
done
median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for n in nhiscan gitleaks floor; do
  w=$(cut -d' ' -f1 "$out/$n.times" | median); r=$(cut -d' ' -f2 "$out/$n.times" | sort -n | tail -1)
  printf '%-9s median wall %6.2f s  peak RSS %4d MB  (runs: %s)\n' "$n" "$w" $((r/1024)) "$(cut -d' ' -f1 "$out/$n.times" | tr '\n' ' ')"
  eval "w_$n=$w"
done
awk -v a="$w_nhiscan" -v b="$w_gitleaks" -v f="$w_floor" -v B="$bytes" 'BEGIN{
  printf "nhiscan is %.1fx faster than gitleaks; %.2fx the floor; %.0f MB/s of blob bytes (%.2f GB)\n", b/a, a/f, B/a/1e6, B/1e9 }'
go run ./bench/compare -nhiscan "$out/nhiscan.json" -gitleaks "$out/gitleaks.json" -v
