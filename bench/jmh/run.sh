#!/usr/bin/env bash
# JMH for Duplex's hot path (decode, encode, fan-out to 1 000 sessions). Bounded: ~1 minute.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
timeout 600 mvn -q -f bench/jmh/pom.xml package
timeout 600 java -jar bench/jmh/target/benchmarks.jar -rf json -rff /tmp/duplex-jmh.json "$@"
