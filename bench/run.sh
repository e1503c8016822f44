#!/usr/bin/env bash
# Duplex vs the study notes' Node `ws` chat server, side by side, on loopback.
#
#   bench/run.sh              every figure, 3 alternating rounds (about 30 minutes), writes
#                             docs/BENCHMARKS.md and docs/img/bench-latency.svg
#   bench/run.sh --smoke      one tiny round of everything (CI: keeps the bench working), writes
#                             into the work directory only
#   options: --rounds N   --out FILE   --work DIR (default /tmp/duplex-bench)
#            --no-patches   skip the "Duplex + patches" variant (see below)
#
# Proposed changes to the main code live in bench/patches/*.diff. While they still apply to the
# working tree, the run also benchmarks a third server, Duplex with them applied ("patched"), in
# the same alternation, so each proposal carries its own measured evidence. Once applied (or if one
# no longer applies) the variant is skipped.
#
# Needs JDK 17+, Maven, Node 20 + npm. Builds the WAR from this working tree into the work
# directory (never touches target/), the load generator (bench/loadgen), installs ws 8 for the peer
# (bench/peer-ws), then starts each server in turn on ports 9600-9799, alternating A B A B.
# Everything is bounded: each step runs under `timeout` and every server is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
WORK=/tmp/duplex-bench
ROUNDS=3
SMOKE=0
PATCHES=1
OUT="$ROOT/docs/BENCHMARKS.md"
SVG="$ROOT/docs/img/bench-latency.svg"
# shellcheck source=bench/common.sh
. "$BENCH/common.sh"
DUPLEX_JAVA_OPTS=${DUPLEX_JAVA_OPTS:-$(readme_java_opts)}
# The run command for the patched variant: the same unless a proposal changes it.
PATCHED_JAVA_OPTS=${PATCHED_JAVA_OPTS:-$DUPLEX_JAVA_OPTS}

while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1; ROUNDS=1; PATCHES=0 ;;
        --no-patches) PATCHES=0 ;;
        --rounds) ROUNDS=$2; shift ;;
        --out) OUT=$2; shift ;;
        --work) WORK=$2; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$SMOKE" = 1 ]; then
    OUT="$WORK/BENCHMARKS.md"
    SVG="$WORK/bench-latency.svg"
fi

mkdir -p "$WORK"
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
LOG="$WORK/bench.log"
: > "$LOG"
rm -f "$WORK/profile.txt"
log() { echo "[bench $(date +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }

# 10 000 idle connections plus the traffic sets: both ends need the descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 12000 ]; then
    log "warning: ulimit -n is $(ulimit -n); the 10 000-connection figure needs about 10 100"
fi

SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        sleep 1
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

# ------------------------------------------------------------------ build
build_bench
SERVERS="duplex peer"
if [ "$PATCHES" = 1 ] && ls "$BENCH"/patches/*.diff >/dev/null 2>&1; then
    rm -rf "$WORK/src-patched"
    mkdir -p "$WORK/src-patched"
    cp -r "$WORK/src/pom.xml" "$WORK/src/src" "$WORK/src/.mvn" "$WORK/src-patched/"
    [ -d "$WORK/src/webapp" ] && cp -r "$WORK/src/webapp" "$WORK/src-patched/"
    applied=1
    for p in "$BENCH"/patches/*.diff; do
        if ! (cd "$WORK/src-patched" && patch -s -p1 --forward --dry-run < "$p" >/dev/null 2>&1 && patch -s -p1 --forward < "$p"); then
            log "patch $(basename "$p") does not apply to the working tree (already applied?): no patched variant"
            applied=0
        fi
    done
    if [ "$applied" = 1 ]; then
        log "building Duplex + bench/patches/*.diff"
        (cd "$WORK/src-patched" && timeout 600 mvn -q -Dmaven.test.skip=true package) >>"$LOG" 2>&1
        cp "$WORK/src-patched/target/duplex.war" "$WORK/duplex-patched.war"
        SERVERS="duplex peer patched"
    fi
fi
log "installing ws for the peer"
(cd "$BENCH/peer-ws" && timeout 300 npm ci --no-audit --no-fund --silent) >>"$LOG" 2>&1
cp "$PAYARA_JAR" "$WORK/payara-micro.jar"

# ------------------------------------------------------------------ servers
NEXT_PORT_DUPLEX=9700
NEXT_PORT_PEER=9600
PORT=""
start_server() { # kind
    local kind=$1 war
    case "$kind" in
        duplex|patched)
            local opts="$DUPLEX_JAVA_OPTS"
            war="$WORK/duplex.war"
            if [ "$kind" = patched ]; then war="$WORK/duplex-patched.war"; opts="$PATCHED_JAVA_OPTS"; fi
            PORT=$NEXT_PORT_DUPLEX; NEXT_PORT_DUPLEX=$((NEXT_PORT_DUPLEX + 1))
            # shellcheck disable=SC2086
            # Benchmark traffic is far beyond a person's: lift the per-session rate limit and the
            # per-address connection cap (everything comes from 127.0.0.x); nothing else changes.
            (cd "$WORK" && export DUPLEX_RATE_LIMIT=1000000 DUPLEX_RATE_BURST=1000000 \
                DUPLEX_MAX_CONNECTIONS_PER_ADDRESS=1000000 && exec java $opts -jar payara-micro.jar --nohazelcast \
                --deploy "$war" --contextroot / --port "$PORT") >"$WORK/server-$kind-$PORT.log" 2>&1 &
            SERVER_PID=$!
            local i
            for i in $(seq 240); do
                grep -q "ready in" "$WORK/server-$kind-$PORT.log" && break
                kill -0 "$SERVER_PID" 2>/dev/null || { log "Payara died"; tail "$WORK/server-$kind-$PORT.log"; exit 1; }
                sleep 0.5
            done
            ;;
        peer)
            PORT=$NEXT_PORT_PEER; NEXT_PORT_PEER=$((NEXT_PORT_PEER + 1))
            node "$BENCH/peer-ws/server.js" "$PORT" >"$WORK/server-peer-$PORT.log" 2>&1 &
            SERVER_PID=$!
            for i in $(seq 60); do
                grep -q "listening" "$WORK/server-peer-$PORT.log" && break
                sleep 0.2
            done
            ;;
    esac
    log "started $kind on port $PORT (pid $SERVER_PID, RSS $(grep VmRSS /proc/$SERVER_PID/status | tr -s ' ' | cut -d' ' -f2) kB)"
}
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    for i in $(seq 40); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
loadgen() { # kind round seconds-limit args...
    local kind=$1 round=$2 limit=$3
    shift 3
    timeout "$limit" java -Xms256m -Xmx1g -XX:+UseParallelGC -cp "$LOADGEN_CP" dev.duplex.bench.LoadGen \
        --url "ws://127.0.0.1:$PORT/chat" --pid "$SERVER_PID" --server "$kind" --round "$round" "$@" \
        2>>"$LOG" | tee -a "$RESULTS" >>"$LOG" || log "loadgen ($*) ended with status $?"
}

if [ "$SMOKE" = 1 ]; then
    HOLD=200; SUBS1=50; SUBS2=20
    PHASES1="fig1:50:1:2,sweep:100:0.5:1,fig3:0:0.5:2"
    PHASES2="fig2:200:1:2"
else
    HOLD=10000; SUBS1=1000; SUBS2=100
    # Ascending load, saturation last: a server that falls behind carries its backlog forward.
    PHASES1="sweep:10:2:4,sweep:25:2:4,fig1:50:3:8,sweep:75:2:4,sweep:100:2:4,fig3:0:2:8"
    PHASES2="fig2:1000:3:8"
fi

# ------------------------------------------------------------------ runs
for kind in duplex peer; do
    start_server "$kind"
    if [ "$kind" = peer ]; then
        loadgen "$kind" 0 60 --mode wire --poll-url "http://127.0.0.1:$PORT/poll?room=bench&since=1795322708520000"
    else
        loadgen "$kind" 0 60 --mode wire
    fi
    stop_server
done
for round in $(seq "$ROUNDS"); do
    for kind in $SERVERS; do
        start_server "$kind"
        # Figure 4 first, on a fresh process: RSS before and after 10 000 idle connections.
        loadgen "$kind" "$round" 300 --mode hold --conns "$HOLD" --settle 3 --max-seconds 240
        sleep 2
        # Figures 1 and 3 and the latency-vs-load sweep on 1 000 subscribers, then figure 2.
        # Round 1 profiles Duplex with JFR (JDK built-in) during the 1 000-subscriber run.
        profiling=0
        if [ "$round" = 1 ] && [ "$kind" = duplex ] && command -v jcmd >/dev/null; then
            jcmd "$SERVER_PID" JFR.start name=bench settings=profile filename="$WORK/duplex-fanout.jfr" >>"$LOG" 2>&1 && profiling=1
        fi
        loadgen "$kind" "$round" 300 --mode fanout --subs "$SUBS1" --pubs 1 --window 200 --phases "$PHASES1" --max-seconds 240
        if [ "$profiling" = 1 ]; then
            jcmd "$SERVER_PID" JFR.stop name=bench >>"$LOG" 2>&1 || true
            node "$BENCH/jfr-summary.js" "$(dirname "$(readlink -f "$(command -v java)")")/jfr" "$WORK/duplex-fanout.jfr" \
                > "$WORK/profile.txt" 2>>"$LOG" || rm -f "$WORK/profile.txt"
        fi
        loadgen "$kind" "$round" 120 --mode fanout --subs "$SUBS2" --pubs 1 --phases "$PHASES2" --max-seconds 100
        stop_server
    done
done

# ------------------------------------------------------------------ report
{
    echo "{"
    echo "\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "\"commit\": \"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src pom.xml 2>/dev/null || echo '+local changes')\","
    echo "\"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\","
    echo "\"cores\": $(nproc),"
    echo "\"memGiB\": $(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo),"
    echo "\"kernel\": \"$(uname -r)\","
    echo "\"java\": \"$(java -version 2>&1 | sed -n '1{s/"//g;p}')\","
    echo "\"node\": \"$(node -v)\","
    echo "\"ws\": \"$(node -e 'console.log(require(process.argv[1]+"/node_modules/ws/package.json").version)' "$BENCH/peer-ws")\","
    echo "\"payara\": \"$PAYARA_VERSION\","
    echo "\"javaOpts\": \"$DUPLEX_JAVA_OPTS\","
    echo "\"patchedJavaOpts\": \"$PATCHED_JAVA_OPTS\","
    echo "\"rounds\": $ROUNDS,"
    echo "\"smoke\": $SMOKE,"
    echo "\"servers\": \"$SERVERS\","
    echo "\"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\""
    echo "}"
} > "$WORK/meta.json"
mkdir -p "$(dirname "$SVG")"
node "$BENCH/report.js" "$RESULTS" "$WORK/meta.json" "$OUT" "$SVG"
log "wrote $OUT and $SVG"
if [ "$SMOKE" = 1 ]; then
    # CI check: every server answered every figure with no loss.
    node -e '
      const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
      // Cold JITs make smoke latencies meaningless; it checks that every path works end to end.
      const bad = rows.filter(r => (r.mode === "fanout" && (r.delivered === 0 || r.connectFailures > 0)) || (r.mode === "hold" && r.connected < r.conns));
      if (rows.length === 0 || bad.length) { console.error("smoke failed", bad); process.exit(1); }
      console.log("smoke ok:", rows.length, "results");' "$RESULTS"
fi
