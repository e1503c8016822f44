#!/usr/bin/python3
"""Orchestrates scripts/failover: processes, clients, failures, and the figures. See docs/SCALING.md."""
import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets

ROOM = "failover-%d" % (int(time.time()) % 100000)
CLIENTS = 8
SEND_INTERVAL = 0.02          # each client posts 50 messages a second
ARGS = None
PROCS = {}
TMP = None


def log(message):
    print("[%6.1fs] %s" % (time.monotonic() - START, message), flush=True)


START = time.monotonic()


# ------------------------------------------------------------------ processes

def start_redis():
    port = ARGS.base_port + 1
    os.makedirs(os.path.join(TMP, "redis"), exist_ok=True)
    # AOF with fsync on every write: an acked message survives a Redis kill -9 too.
    PROCS["redis"] = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
         "--appendfsync", "always", "--dir", os.path.join(TMP, "redis"), "--daemonize", "no"],
        stdout=open(os.path.join(TMP, "redis.log"), "a"), stderr=subprocess.STDOUT)
    wait_for(lambda: tcp_open(port), 10, "redis")


def node_port(node):
    return ARGS.base_port + (11 if node == "A" else 12)


def start_node(node):
    port = node_port(node)
    env = dict(os.environ,
               DUPLEX_REDIS_URL="redis://127.0.0.1:%d" % (ARGS.base_port + 1),
               DUPLEX_RATE_BURST="0",                    # the clients post in bursts
               # A node that was cut off from Redis reads what it missed from the stream; the stream
               # must still hold it. At ~500 msg/s the default 1000 is 2 s - keep a few minutes.
               DUPLEX_HISTORY_PER_ROOM="100000",
               DUPLEX_MAX_CONNECTIONS_PER_ADDRESS="0")   # every client comes from nginx's address
    root = os.path.join(TMP, "node-" + node)
    shutil.rmtree(root, ignore_errors=True)
    PROCS[node] = subprocess.Popen(
        ["java", "-Xmx384m", "-jar", ARGS.jar, "--nohazelcast", "--deploy", ARGS.war, "--contextroot", "/",
         "--port", str(port), "--rootdir", root],
        env=env, stdout=open(os.path.join(TMP, "node-%s.log" % node), "a"), stderr=subprocess.STDOUT)


def wait_node(node, timeout=180):
    wait_for(lambda: health(node_port(node))[0] == 200, timeout, "node %s /health" % node)


def start_nginx():
    port = ARGS.base_port + 10
    with open(ARGS.nginx_conf) as f:
        site = f.read()
    site = (site.replace("127.0.0.1:8081", "127.0.0.1:%d" % node_port("A"))
                .replace("127.0.0.1:8082", "127.0.0.1:%d" % node_port("B"))
                .replace("listen 127.0.0.1:8080", "listen 127.0.0.1:%d" % port))
    with open(os.path.join(TMP, "duplex.conf"), "w") as f:
        f.write(site)
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(TMP, "nginx", d), exist_ok=True)
    with open(os.path.join(TMP, "nginx.conf"), "w") as f:
        f.write("""worker_processes 1;
daemon off;
pid %(t)s/nginx.pid;
error_log %(t)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(t)s/nginx/body;
    proxy_temp_path %(t)s/nginx/proxy;
    fastcgi_temp_path %(t)s/nginx/fastcgi;
    uwsgi_temp_path %(t)s/nginx/uwsgi;
    scgi_temp_path %(t)s/nginx/scgi;
    include %(t)s/duplex.conf;
}
""" % {"t": TMP})
    PROCS["nginx"] = subprocess.Popen(
        ["nginx", "-p", TMP, "-e", os.path.join(TMP, "nginx-error.log"), "-c", os.path.join(TMP, "nginx.conf")],
        stdout=open(os.path.join(TMP, "nginx.log"), "a"), stderr=subprocess.STDOUT)
    wait_for(lambda: tcp_open(port), 10, "nginx")


def kill9(name):
    proc = PROCS.pop(name, None)
    if proc:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


def stop_all():
    for name in list(PROCS):
        proc = PROCS.pop(name)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def tcp_open(port):
    import socket
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def health(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}")
        except ValueError:
            return e.code, None
    except Exception:
        return 0, None


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("failover: timed out waiting for " + what)
        time.sleep(0.2)


async def await_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("failover: timed out waiting for " + what)
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------ clients

def upstream_node(header):
    if header and header.endswith(":%d" % node_port("A")):
        return "A"
    if header and header.endswith(":%d" % node_port("B")):
        return "B"
    return "?"


class Client:
    def __init__(self, name):
        self.name = name
        self.ws = None
        self.node = None
        self.nodes = []            # every node it was connected to, in order
        self.last_id = None
        self.received = []         # ids of room messages, in arrival order
        self.seen = set()
        self.duplicates = 0
        self.out_of_order = 0
        self.acks = {}             # ref -> id
        self.sent = 0
        self.unavailable = 0
        self.reconnects = 0
        self.refused_1013 = 0
        self.presence = []
        self.directs = []
        self.members = None
        self.stopping = False
        self.connected = asyncio.Event()
        self.reconnect_times = []

    async def connect(self):
        url = "ws://127.0.0.1:%d/chat?name=%s&room=%s" % (ARGS.base_port + 10, self.name, ROOM)
        if self.last_id:
            url += "&since=" + self.last_id
        ws = await websockets.connect(url, subprotocols=["superchat"], open_timeout=5, ping_interval=None,
                                      max_size=2 ** 22, close_timeout=1)
        self.node = upstream_node(ws.response_headers.get("X-Duplex-Upstream"))
        self.nodes.append(self.node)
        self.ws = ws
        return ws

    async def run(self):
        while not self.stopping:
            dropped_at = time.monotonic()
            try:
                ws = await self.connect()
            except Exception as e:
                code = getattr(e, "code", None) or getattr(getattr(e, "rcvd", None), "code", None)
                if code == 1013:
                    self.refused_1013 += 1
                await asyncio.sleep(0.2)
                continue
            self.dropped_at = dropped_at
            try:
                async for raw in ws:
                    self.on_frame(json.loads(raw))
            except websockets.ConnectionClosed as closed:
                if closed.code == 1013:
                    self.refused_1013 += 1
            finally:
                self.connected.clear()
                self.ws = None
            if not self.stopping:
                self.reconnects += 1
                await asyncio.sleep(0.1)

    def on_frame(self, frame):
        kind = frame.get("type")
        if kind == "message" and frame.get("room") == ROOM:
            mid = frame["id"]
            if mid in self.seen:
                self.duplicates += 1
                return
            if self.last_id is not None and mid < self.last_id:
                self.out_of_order += 1
            self.seen.add(mid)
            self.received.append(mid)
            self.last_id = mid
        elif kind == "ack":
            self.acks[frame["ref"]] = frame["id"]
        elif kind == "error" and frame.get("code") == "unavailable":
            self.unavailable += 1
        elif kind == "presence":
            self.presence.append((frame["event"], frame["name"]))
        elif kind == "direct":
            self.directs.append(frame)
        elif kind == "joined" and frame.get("room") == ROOM:
            self.members = frame["members"]
            if self.reconnects or len(self.nodes) > 1:
                self.reconnect_times.append(time.monotonic() - self.dropped_at)
            self.connected.set()             # in the room: ready

    async def send(self, frame):
        ws = self.ws
        if ws is None:
            return False
        try:
            await ws.send(json.dumps(frame))
            return True
        except Exception:
            return False

    async def post_loop(self, until):
        n = 0
        while time.monotonic() < until and not self.stopping:
            n += 1
            if await self.send({"type": "message", "room": ROOM, "text": "%s #%d" % (self.name, n),
                                "ref": "%s-%d" % (self.name, n)}):
                self.sent += 1
            await asyncio.sleep(SEND_INTERVAL)

    async def close(self):
        self.stopping = True
        if self.ws is not None:
            await self.ws.close()


async def traffic(clients, seconds, during=None):
    until = time.monotonic() + seconds
    tasks = [asyncio.create_task(c.post_loop(until)) for c in clients]
    if during:
        await during()
    await asyncio.gather(*tasks)


def spread(clients):
    counts = {"A": 0, "B": 0, "?": 0}
    for c in clients:
        counts[c.node or "?"] += 1
    return "A=%d B=%d" % (counts["A"], counts["B"])


async def scenario():
    failures = []
    clients = [Client("user%d" % i) for i in range(CLIENTS)]
    runners = []
    for c in clients:                              # one after another: presence arrives in order
        runners.append(asyncio.create_task(c.run()))
        await asyncio.wait_for(c.connected.wait(), 10)
    await asyncio.sleep(0.5)
    log("%d clients connected through nginx: %s" % (CLIENTS, spread(clients)))
    if "A" not in [c.node for c in clients] or "B" not in [c.node for c in clients]:
        failures.append("clients did not land on both nodes")

    # Presence across nodes: the first client heard every later one join, wherever it landed.
    first, last = clients[0], clients[-1]
    joined = sorted(n for e, n in first.presence if e == "join")
    expected = sorted(c.name for c in clients[1:])
    other_node = [c.name for c in clients[1:] if c.node != first.node]
    log("presence: %s (node %s) heard %d joins, %d of them from the other node; last joiner's members: %d"
        % (first.name, first.node, len(joined), len([n for n in joined if n in other_node]), len(last.members or [])))
    if sorted(last.members or []) != sorted(c.name for c in clients):
        log("last joiner %s (node %s) got members %s" % (last.name, last.node, last.members))
    if joined != expected or sorted(last.members or []) != sorted(c.name for c in clients):
        failures.append("presence across nodes")

    # A direct message across nodes.
    sender = first
    target = next((c for c in clients if c.node != sender.node), None)
    if target:
        await sender.send({"type": "direct", "to": target.name, "text": "across", "ref": "d-1"})
        try:
            await await_until(lambda: any(d.get("text") == "across" for d in target.directs)
                              and "d-1" in sender.acks, 5, "direct")
            log("direct: %s (node %s) -> %s (node %s): delivered and acked" % (
                sender.name, sender.node, target.name, target.node))
        except SystemExit:
            failures.append("direct across nodes")

    # Traffic; kill -9 node A in the middle.
    victims = [c for c in clients if c.node == "A"]
    t0 = time.monotonic()
    kill_at = {}

    async def kill_a():
        await asyncio.sleep(3)
        kill_at["t"] = time.monotonic()
        kill9("A")
        log("kill -9 node A (%d clients on it) while %d clients post 50 msg/s each" % (len(victims), CLIENTS))
    await traffic(clients, 8, kill_a)
    await await_until(lambda: all(c.connected.is_set() for c in clients), 20, "clients to reconnect")
    log("after the kill: every client connected again: %s; reconnect times %s s" % (
        spread(clients), ", ".join("%.2f" % t for c in victims for t in c.reconnect_times[-1:])))

    # Restart node A: new connections go to both nodes again.
    start_node("A")
    wait_node("A")
    await asyncio.sleep(4)                         # nginx tries A again after fail_timeout (3 s)
    probes = [Client("probe%d" % i) for i in range(8)]
    probe_runners = []
    for p in probes:
        probe_runners.append(asyncio.create_task(p.run()))
        await asyncio.wait_for(p.connected.wait(), 10)
        await asyncio.sleep(0.5)
    log("node A restarted; 8 new clients through nginx: %s" % spread(probes))
    if "A" not in [p.node for p in probes]:
        failures.append("no rebalancing after the restart")
    await traffic(clients + probes, 3)

    # Kill and restart Redis mid-traffic; the nodes keep running.
    async def redis_outage():
        await asyncio.sleep(1.5)
        kill9("redis")
        log("kill -9 redis")
        await asyncio.sleep(2.5)
        down = [health(node_port(n))[0] for n in ("A", "B")]
        log("/health during the outage: A=%d B=%d" % tuple(down))
        if down != [503, 503]:
            failures.append("/health did not report the outage")
        t_restart = time.monotonic()
        start_redis()
        log("redis restarted (same AOF)")
        while [health(node_port(n))[0] for n in ("A", "B")] != [200, 200]:
            await asyncio.sleep(0.1)
        log("both nodes healthy again %.1f s after the restart, without a node restart" % (time.monotonic() - t_restart))
    unavailable_before = sum(c.unavailable for c in clients + probes)
    await traffic(clients + probes, 9, redis_outage)
    unavailable = sum(c.unavailable for c in clients + probes) - unavailable_before

    # Drain and check.
    await asyncio.sleep(3)
    everyone = clients + probes
    acked = {}
    for c in everyone:
        for ref, mid in c.acks.items():
            if ref.startswith("d-"):
                continue
            acked[mid] = ref
    sent = sum(c.sent for c in everyone)
    lost = 0
    for c in clients:                              # joined before any traffic: must have every acked message
        missing = [m for m in acked if m not in c.seen]
        lost += len(missing)
        if missing:
            log("%s (nodes %s) is missing %d acked messages, e.g. %s" % (c.name, c.nodes, len(missing), missing[:3]))
            if c is clients[0]:
                for m in missing[:3]:
                    owner = next((x for x in everyone if acked[m] in x.acks), None)
                    got = [x.name + "@" + (x.node or "?") for x in everyone if m in x.seen]
                    log("  %s acked to %s (node %s); received by %s" % (m, acked[m], owner.node if owner else "?", got))
    duplicates = sum(c.duplicates for c in everyone)
    disorder = sum(c.out_of_order for c in everyone)
    deliveries = sum(len(c.received) for c in clients)
    elapsed = time.monotonic() - t0
    for c in everyone:
        await c.close()
    for r in runners + probe_runners:
        r.cancel()

    print()
    print("FAILOVER FIGURES")
    print("  clients                 %d (+8 after the restart), room %s" % (CLIENTS, ROOM))
    print("  messages sent           %d" % sent)
    print("  acked                   %d" % len(acked))
    print("  refused (unavailable)   %d  (while Redis was down; not acked, so not owed)" % unavailable)
    print("  reconnects              %d  (1013 refusals while Redis was down: %d)" % (
        sum(c.reconnects for c in everyone), sum(c.refused_1013 for c in everyone)))
    print("  deliveries to the %d     %d  (%.0f/s over %.0f s)" % (CLIENTS, deliveries, deliveries / elapsed, elapsed))
    print("  acked messages lost     %d" % lost)
    print("  duplicates              %d" % duplicates)
    print("  out of order            %d" % disorder)
    if lost or duplicates or disorder:
        failures.append("lost=%d duplicates=%d out-of-order=%d" % (lost, duplicates, disorder))
    if len(acked) < 1000:
        failures.append("too little traffic was acked (%d)" % len(acked))
    print("RESULT: %s" % ("PASS" if not failures else "FAIL: " + "; ".join(failures)))
    return not failures


def main():
    global ARGS, TMP
    parser = argparse.ArgumentParser()
    parser.add_argument("--war", required=True)
    parser.add_argument("--jar", required=True)
    parser.add_argument("--nginx-conf", required=True)
    parser.add_argument("--base-port", type=int, default=13600)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs)")
    ARGS = parser.parse_args()
    TMP = tempfile.mkdtemp(prefix="duplex-failover-")
    ok = False
    try:
        start_redis()
        start_node("A")
        start_node("B")
        wait_node("A")
        wait_node("B")
        start_nginx()
        log("redis :%d, node A :%d, node B :%d, nginx :%d (logs in %s)" % (
            ARGS.base_port + 1, node_port("A"), node_port("B"), ARGS.base_port + 10, TMP))
        ok = asyncio.run(scenario())
    finally:
        stop_all()
        if ok and not ARGS.keep:
            shutil.rmtree(TMP, ignore_errors=True)
        elif not ok:
            print("logs kept in " + TMP)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
