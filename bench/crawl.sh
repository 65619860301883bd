#!/usr/bin/env bash
# Org-crawl benchmark: 200 generated repositories served by the
# fake GitHub (REST + git http-backend); `scan org` runs twice against the
# same store and clone cache. Prints wall time, peak RSS of the scan
# process and API requests of each crawl, and second/first.
#   bench/crawl.sh                 # 200 repositories of 40 commits
#   NHISCAN_BENCH_REPOS=50 bench/crawl.sh
set -euo pipefail
cd "$(dirname "$0")/.."
NHISCAN_BENCH_CRAWL=1 go test -count=1 -run '^TestCrawlBench200$' -v -timeout 60m ./scanner/github/ |
  grep -vE '^(=== RUN|PASS|ok )'
