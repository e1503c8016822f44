#!/usr/bin/env bash
# JMH for Duplex's hot path without the container: decode, encode, fan-out of one broadcast to
# 1 000 sessions' outbound queues. Bounded (~1 minute). Writes JSON next to bench/run.sh's results,
# where bench/report.js picks it up: bench/jmh/run.sh && node bench/report.js ... (or rerun run.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/duplex-bench}
mkdir -p "$WORK"
cd "$ROOT"
timeout 600 mvn -q -f bench/jmh/pom.xml package
timeout 600 java -jar bench/jmh/target/benchmarks.jar -wi 3 -w 1 -i 5 -r 1 -f 1 -rf json -rff "$WORK/jmh.json" "$@"
