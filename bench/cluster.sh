#!/usr/bin/env bash
# Chat fan-out through nginx with two Duplex nodes vs one, both on the Redis backplane, on loopback.
# docs/SCALING.md quotes its table ("deliveries/s with two nodes vs one").
#
#   bench/cluster.sh            3 rounds, alternating one two one two ..., 1 000 subscribers
#   bench/cluster.sh --smoke    one round, 50 subscribers, short phases (keeps the script working)
#   options: --rounds N   --work DIR (default /tmp/duplex-cluster-bench)
#
# One redis-server for the whole run; for every run the node(s) and nginx start fresh and Redis is
# flushed, so no run inherits another's JIT, heap or streams. nginx renders deploy/nginx/duplex.conf
# (round robin, no stickiness) with the running nodes as its upstream. The load generator
# (bench/loadgen) connects every subscriber and the publisher through nginx; the server CPU it
# reports is the sum over the node processes. Ports: 9801 redis, 9810 nginx, 9811/9812 the nodes.
# Writes $WORK/results.jsonl (a LoadGen line per phase, a "cluster" line per run) and
# $WORK/cluster.md. Needs JDK 17+, Maven, Node 20, redis-server, redis-cli, nginx, curl.
# Everything is bounded: each step runs under `timeout`, every process started here is stopped on exit.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"   # nginx lives in /usr/sbin on Debian

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH="$ROOT/bench"
WORK=/tmp/duplex-cluster-bench
ROUNDS=3
SMOKE=0
REDIS_PORT=9801
NGINX_PORT=9810
NODE_PORTS=(9811 9812)

while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1; ROUNDS=1 ;;
        --rounds) ROUNDS=$2; shift ;;
        --work) WORK=$2; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

if [ "$SMOKE" = 1 ]; then
    SUBS=50; PHASES="fixed:50:1:2,sat:0:1:2"; LOADGEN_LIMIT=120
else
    # 50 msg/s to 1 000 subscribers = 50 000 deliveries/s offered, then as fast as the window allows.
    SUBS=1000; PHASES="fixed:50:2:6,sat:0:2:6"; LOADGEN_LIMIT=300
fi

# shellcheck source=bench/common.sh
. "$BENCH/common.sh"
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:-$(readme_java_opts)}

mkdir -p "$WORK"
RESULTS="$WORK/results.jsonl"
: > "$RESULTS"
LOG="$WORK/cluster.log"
: > "$LOG"
log() { echo "[cluster $(date +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }
die() { log "$*"; exit 1; }

for tool in java mvn node redis-server redis-cli nginx curl ss; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
# Someone else's server on one of these ports would take our traffic: refuse to start.
for port in "$REDIS_PORT" "$NGINX_PORT" "${NODE_PORTS[@]}"; do
    [ -z "$(ss -ltnH "( sport = :$port )")" ] || die "port $port is in use"
done
# 1 000 subscribers through nginx: two descriptors each in nginx, one in the node and the generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ------------------------------------------------------------------ processes
REDIS_PID=""
NGINX_PID=""
SAMPLER_PID=""
NODE_PIDS=()
stop_pid() { # pid: TERM, up to 15 s to exit, then KILL
    local pid=$1 i
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || true
    for i in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
stop_run() { # the per-run processes: the sampler, nginx, the nodes
    local pid
    stop_pid "$SAMPLER_PID"; SAMPLER_PID=""
    stop_pid "$NGINX_PID"; NGINX_PID=""
    for pid in "${NODE_PIDS[@]}"; do stop_pid "$pid"; done
    NODE_PIDS=()
}
cleanup() {
    stop_run
    stop_pid "$REDIS_PID"; REDIS_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
ticks() { # utime + stime of the given PIDs, in clock ticks (fields 14 and 15 of /proc/PID/stat)
    local pid stat total=0
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        stat=${stat##*) }                # the command name may contain spaces; skip past it
        # shellcheck disable=SC2086
        set -- $stat
        total=$((total + ${12} + ${13}))
    done
    echo "$total"
}
nginx_pids() { echo "$NGINX_PID" $(pgrep -P "$NGINX_PID" || true); }   # master + workers

# ------------------------------------------------------------------ build
build_bench

# ------------------------------------------------------------------ redis, nodes, nginx
start_redis() {
    # No persistence: the bench measures fan-out, not fsync (failover does the durable setup).
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
        --daemonize no >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    local i
    for i in $(seq 50); do
        [ "$(timeout 2 redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.2
    done
    die "redis-server did not start (see $WORK/redis.log)"
}

start_node() { # index config round
    local i=$1 port=${NODE_PORTS[$1]}
    rm -rf "$WORK/node-$i"
    # Benchmark traffic is far beyond a person's: lift the per-session rate limit and the
    # per-address connection cap (behind nginx every client comes from 127.0.0.1); nothing else changes.
    # shellcheck disable=SC2086
    (cd "$WORK" && exec env DUPLEX_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" DUPLEX_RATE_LIMIT=1000000 \
        DUPLEX_RATE_BURST=1000000 DUPLEX_MAX_CONNECTIONS_PER_ADDRESS=1000000 \
        java $NODE_JAVA_OPTS -jar "$PAYARA_JAR" --nohazelcast --deploy "$WORK/duplex.war" --contextroot / \
        --port "$port" --rootdir "$WORK/node-$i") >"$WORK/node-$2-r$3-$i.log" 2>&1 &
    NODE_PIDS+=("$!")
}

wait_node() { # index: /health answers 200 with the Redis backplane (two nodes starting on 2 cores: up to ~130 s)
    local i=$1 port=${NODE_PORTS[$1]} pid=${NODE_PIDS[$1]} n body
    for n in $(seq 600); do
        body=$(curl -s --max-time 2 -w '\n%{http_code}' "http://127.0.0.1:$port/health" 2>/dev/null || true)
        if [ "${body##*$'\n'}" = 200 ]; then
            case "$body" in *'"backplane":"redis"'*) return 0 ;; esac
            die "node on $port is not using Redis: $body"
        fi
        kill -0 "$pid" 2>/dev/null || die "node on $port died (see $WORK/node-*-$i.log)"
        sleep 0.5
    done
    die "node on $port not healthy after 300 s"
}

start_nginx() { # config
    local cfg=$1 dir="$WORK/nginx" i
    mkdir -p "$dir"/{body,proxy,fastcgi,uwsgi,scgi}
    # The deployment's own site file, as scripts/failover renders it: its example ports become ours;
    # with one node the second upstream line is dropped. Verified below, so an edit to duplex.conf
    # that these patterns no longer match fails here instead of benchmarking the wrong thing.
    local second="s/127\.0\.0\.1:8082/127.0.0.1:${NODE_PORTS[1]}/"
    [ "$cfg" = one ] && second="/127\.0\.0\.1:8082/d"
    sed -e "s/listen 127\.0\.0\.1:8080;/listen 127.0.0.1:$NGINX_PORT;/" \
        -e "s/127\.0\.0\.1:8081/127.0.0.1:${NODE_PORTS[0]}/" -e "$second" \
        "$ROOT/deploy/nginx/duplex.conf" > "$dir/duplex.conf"
    local want=2
    [ "$cfg" = one ] && want=1
    [ "$(grep -c "^ *server 127\.0\.0\.1:98" "$dir/duplex.conf")" = "$want" ] \
        && grep -q "listen 127.0.0.1:$NGINX_PORT;" "$dir/duplex.conf" \
        && ! grep -q "127\.0\.0\.1:808[0-9]" "$dir/duplex.conf" \
        || die "could not render deploy/nginx/duplex.conf for $cfg node(s): see $dir/duplex.conf"
    # Workers as a packaged nginx runs them (auto: one per core); enough connections for every
    # subscriber twice (client side and upstream side).
    cat > "$dir/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/duplex.conf;
}
EOF
    nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >>"$dir/nginx.log" 2>&1 &
    NGINX_PID=$!
    for i in $(seq 50); do
        [ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/health" 2>/dev/null)" = 200 ] \
            && return 0
        kill -0 "$NGINX_PID" 2>/dev/null || die "nginx died (see $dir/error.log)"
        sleep 0.2
    done
    die "nginx did not answer /health"
}

# Samples each node's established connections while the generator runs: where nginx put the
# clients. Counted with ss rather than asked over HTTP, which a saturated node answers too late.
start_sampler() { # node count
    local n=$1
    : > "$WORK/sessions.txt"
    (
        while :; do
            for ((i = 0; i < n; i++)); do
                echo "$i $(ss -tnH state established "( sport = :${NODE_PORTS[$i]} )" 2>/dev/null | wc -l)"
            done
            sleep 0.5
        done
    ) >> "$WORK/sessions.txt" 2>/dev/null &
    SAMPLER_PID=$!
}
sessions_split() { # node count -> "501,500": the most sessions each node held at once
    local n=$1
    awk -v n="$n" '{ if ($2 > m[$1]) m[$1] = $2 }
        END { for (i = 0; i < n; i++) printf "%s%d", (i ? "," : ""), m[i] + 0; print "" }' "$WORK/sessions.txt"
}

# ------------------------------------------------------------------ runs
run() { # config round
    local cfg=$1 round=$2 n=1 i
    [ "$cfg" = two ] && n=2
    for ((i = 0; i < n; i++)); do start_node "$i" "$cfg" "$round"; done
    for ((i = 0; i < n; i++)); do wait_node "$i"; done
    start_nginx "$cfg"
    log "$cfg, round $round: node(s) ${NODE_PIDS[*]} on ${NODE_PORTS[*]:0:$n}, nginx $NGINX_PID on $NGINX_PORT"
    start_sampler "$n"
    local pids t0 t1 r0 r1 g0 g1 s0 s1 status=0
    pids=$(IFS=,; echo "${NODE_PIDS[*]}")
    t0=$(date +%s.%N); r0=$(ticks "$REDIS_PID"); g0=$(ticks $(nginx_pids)); s0=$(ticks "${NODE_PIDS[@]}")
    timeout "$LOADGEN_LIMIT" java -Xms256m -Xmx1g -XX:+UseParallelGC -cp "$LOADGEN_CP" dev.duplex.bench.LoadGen \
        --url "ws://127.0.0.1:$NGINX_PORT/chat" --pid "$pids" --server "$cfg" --round "$round" \
        --mode fanout --subs "$SUBS" --pubs 1 --window 200 --phases "$PHASES" --max-seconds $((LOADGEN_LIMIT - 20)) \
        2>>"$LOG" | tee -a "$RESULTS" >>"$LOG" || status=$?
    t1=$(date +%s.%N); r1=$(ticks "$REDIS_PID"); g1=$(ticks $(nginx_pids)); s1=$(ticks "${NODE_PIDS[@]}")
    [ "$status" = 0 ] || log "loadgen ended with status $status"
    stop_pid "$SAMPLER_PID"; SAMPLER_PID=""
    local split
    split=$(sessions_split "$n")
    # CPU of Redis, nginx and the nodes over the whole generator run (connect, warm-ups, phases).
    awk -v cfg="$cfg" -v round="$round" -v n="$n" -v sp="$split" -v tck="$CLK_TCK" -v t0="$t0" -v t1="$t1" \
        -v redis=$((r1 - r0)) -v nginx=$((g1 - g0)) -v nodes=$((s1 - s0)) 'BEGIN {
        wall = t1 - t0; pct = 100 / tck / wall
        printf "{\"server\":\"%s\",\"round\":%d,\"mode\":\"cluster\",\"nodes\":%d,\"sessions\":[%s],\"wallS\":%.2f,", cfg, round, n, sp, wall
        printf "\"redisCpuPct\":%.1f,\"nginxCpuPct\":%.1f,\"nodesCpuPct\":%.1f}\n", redis * pct, nginx * pct, nodes * pct
    }' | tee -a "$RESULTS" >>"$LOG"
    log "$cfg, round $round: sessions per node $split"
    stop_run
    timeout 10 redis-cli -p "$REDIS_PORT" FLUSHALL >>"$LOG" 2>&1
}

LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
start_redis
log "redis $REDIS_PID on $REDIS_PORT; $ROUNDS round(s) of one/two, $SUBS subscribers, phases $PHASES"
for round in $(seq "$ROUNDS"); do
    for cfg in one two; do
        run "$cfg" "$round"
    done
done

# ------------------------------------------------------------------ report
cat > "$WORK/meta.json" <<EOF
{
"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
"commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src pom.xml 2>/dev/null || echo '+local changes')",
"cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
"cores": $(nproc),
"loadavgStart": "$LOADAVG_START",
"loadavgEnd": "$(cut -d' ' -f1-3 /proc/loadavg)",
"java": "$(java -version 2>&1 | sed -n '1{s/"//g;p}')",
"payara": "$PAYARA_VERSION",
"javaOpts": "$NODE_JAVA_OPTS",
"redis": "$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')",
"nginx": "$(nginx -v 2>&1 | sed 's:.*/::')",
"subs": $SUBS,
"phases": "$PHASES",
"rounds": $ROUNDS,
"smoke": $SMOKE
}
EOF
# Prints the table and writes it; fails if a run is missing, lost connections or missed a node.
node "$BENCH/cluster-report.js" "$RESULTS" "$WORK/meta.json" "$WORK/cluster.md" || die "the runs are incomplete (see above)"
log "wrote $WORK/cluster.md"
