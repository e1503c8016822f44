#!/usr/bin/python3
"""Runs scripts/cluster-contract: redis-server and two nodes of one server kind (Tomcat or Payara
Micro) sharing it, then the superchat contract of docs/PROTOCOL.md across the two nodes, with every
client connected straight to its node so each expectation names the node it was checked on.
See docs/SCALING.md ("The cluster contract run")."""
import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import websockets

ARGS = None
LOGS = None
PROCS = {}          # name -> Popen; each the leader of its own process group
RESULTS = []        # (ok, line)
ROOM = "r"
START = time.monotonic()


def log(message):
    print("[%6.1fs] %s" % (time.monotonic() - START, message), flush=True)


# ------------------------------------------------------------------ ports and processes

def port(what):
    offsets = {"redis": 1, "A": 11, "B": 12, "shutdown-A": 21, "shutdown-B": 22, "redirect-A": 31, "redirect-B": 32}
    return ARGS.base_port + offsets[what]


def write_pids():
    # The wrapper's exit trap kills whatever is listed here if this process dies before cleaning up.
    with open(os.path.join(LOGS, "pids"), "w") as f:
        for proc in PROCS.values():
            f.write("%d\n" % proc.pid)


def spawn(name, command, env=None, cwd=None):
    out = open(os.path.join(LOGS, name + ".log"), "ab")
    PROCS[name] = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    write_pids()


def stop_all():
    for name, proc in list(PROCS.items()):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for name, proc in list(PROCS.items()):
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)
        PROCS.pop(name)
    write_pids()


def tcp_open(p):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", p)) == 0


def health(node):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port(node), timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None
    except Exception:
        return 0, None


def start_redis():
    os.makedirs(os.path.join(LOGS, "redis"), exist_ok=True)
    spawn("redis", ["redis-server", "--port", str(port("redis")), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", os.path.join(LOGS, "redis"), "--daemonize", "no"])
    deadline = time.monotonic() + 10
    while not tcp_open(port("redis")):
        if PROCS["redis"].poll() is not None or time.monotonic() > deadline:
            raise Abort("redis-server did not start on :%d (see %s/redis.log)" % (port("redis"), LOGS))
        time.sleep(0.1)


def node_env():
    env = dict(os.environ, DUPLEX_REDIS_URL="redis://127.0.0.1:%d" % port("redis"))
    for name in ("DUPLEX_ADMIN_TOKEN", "DUPLEX_RATE_BURST", "DUPLEX_RATE_LIMIT", "DUPLEX_ALLOWED_ORIGINS"):
        env.pop(name, None)        # the contract's defaults, whatever the caller's shell has
    return env


TOMCAT_SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/cluster-contract: one HTTP connector on loopback, nothing else listening. -->
<Server address="127.0.0.1" port="%(shutdown)d" shutdown="SHUTDOWN">
  <Listener className="org.apache.catalina.startup.VersionLoggerListener"/>
  <Service name="Catalina">
    <Connector address="127.0.0.1" port="%(http)d" protocol="HTTP/1.1" connectionTimeout="20000"
               redirectPort="%(redirect)d"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
"""


def start_tomcat(node):
    # One CATALINA_HOME (the unpacked distribution), one CATALINA_BASE per node.
    home = os.path.abspath(ARGS.tomcat_home)
    base = os.path.join(LOGS, "node-" + node)
    for d in ("conf", "logs", "temp", "webapps", "work"):
        os.makedirs(os.path.join(base, d))
    # The distribution's top-level configuration only: conf/Catalina/ may hold contexts that the
    # tomcat profile's runs left behind, which would be deployed next to ours.
    for name in os.listdir(os.path.join(home, "conf")):
        if os.path.isfile(os.path.join(home, "conf", name)):
            shutil.copyfile(os.path.join(home, "conf", name), os.path.join(base, "conf", name))
    with open(os.path.join(base, "conf", "server.xml"), "w") as f:
        f.write(TOMCAT_SERVER_XML % {"shutdown": port("shutdown-" + node), "http": port(node),
                                     "redirect": port("redirect-" + node)})
    shutil.copyfile(ARGS.war, os.path.join(base, "webapps", "ROOT.war"))
    env = dict(node_env(), CATALINA_HOME=home, CATALINA_BASE=base, CATALINA_TMPDIR=os.path.join(base, "temp"),
               CATALINA_OPTS="-Xmx384m")
    env.pop("CATALINA_PID", None)
    spawn("node-" + node, ["sh", os.path.join(home, "bin", "catalina.sh"), "run"], env=env)


def start_payara(node):
    root = os.path.join(LOGS, "node-" + node)
    spawn("node-" + node, ["java", "-Xmx384m", "-jar", os.path.abspath(ARGS.payara_jar), "--nohazelcast",
                           "--deploy", os.path.abspath(ARGS.war), "--contextroot", "/", "--port", str(port(node)),
                           "--rootdir", root], env=node_env())


def wait_ready():
    deadline = time.monotonic() + ARGS.start_timeout
    waiting = {"A", "B"}
    while waiting:
        for node in sorted(waiting):
            proc = PROCS["node-" + node]
            if proc.poll() is not None:
                raise Abort("node %s (%s :%d) exited with code %d before it was ready"
                            % (node, ARGS.server, port(node), proc.returncode))
            status, body = health(node)
            if status == 200:
                waiting.discard(node)
                log("node %s ready: %s :%d, /health %s" % (node, ARGS.server, port(node), json.dumps(body)))
        if waiting and time.monotonic() > deadline:
            raise Abort("node(s) %s did not answer /health 200 within %d s" % (", ".join(sorted(waiting)),
                                                                              ARGS.start_timeout))
        time.sleep(0.25)


class Abort(Exception):
    pass


# ------------------------------------------------------------------ clients and expectations

def describe(frame):
    kind = frame.get("type")
    if kind == "joined":
        return "joined %s %s" % (frame.get("room"), frame.get("members"))
    if kind == "presence":
        return "presence %s %s %s %s" % (frame.get("room"), frame.get("event"), frame.get("name"), frame.get("members"))
    if kind == "message":
        return "message %s from %s %r" % (frame.get("room"), frame.get("from"), frame.get("text"))
    if kind == "direct":
        return "direct %s->%s %r" % (frame.get("from"), frame.get("to"), frame.get("text"))
    if kind in ("ack", "error"):
        return "%s %s" % (kind, {k: v for k, v in frame.items() if k != "type"})
    if kind == "welcome":
        return "welcome %s" % frame.get("protocol")
    return kind or json.dumps(frame)


class Client:
    def __init__(self, name, node, protocol, room=ROOM):
        self.name, self.node, self.protocol, self.room = name, node, protocol, room
        self.label = "%s@%s" % (name, node)
        self.frames = []
        self.changed = asyncio.Event()
        self.closed = None
        self.ws = None
        self.reader = None

    async def open(self):
        url = "ws://127.0.0.1:%d/chat?name=%s&room=%s" % (port(self.node), self.name, self.room)
        self.ws = await websockets.connect(url, subprotocols=[self.protocol], open_timeout=ARGS.timeout,
                                           ping_interval=None, close_timeout=2, max_size=2 ** 20)
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        try:
            async for raw in self.ws:
                self.frames.append(json.loads(raw))
                self.wake()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = (self.ws.close_code, self.ws.close_reason)
            self.wake()

    def wake(self):
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    def find(self, predicate):
        for i, frame in enumerate(self.frames):
            if predicate(frame):
                return i, frame
        return None

    async def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while True:
            changed = self.changed
            found = self.find(predicate)
            if found or self.closed is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.wait([self.reader], timeout=3)


def record(ok, client, text, detail=""):
    line = "%-4s [node %s] %-8s %s" % ("ok" if ok else "FAIL", client.node, client.label, text)
    if not ok and detail:
        line += "\n       " + detail
    RESULTS.append((ok, line))
    print(line, flush=True)
    return ok


def received(client):
    if not client.frames:
        seen = "nothing"
    else:
        seen = "; ".join(describe(f) for f in client.frames[-8:])
        if len(client.frames) > 8:
            seen = "... " + seen
    closed = "" if client.closed is None else " (socket closed: %s %s)" % client.closed
    return "it received: %s%s" % (seen, closed)


async def expect(client, text, predicate):
    """One expectation: a frame matching predicate arrives at client within --timeout seconds."""
    found = await client.wait_for(predicate, ARGS.timeout)
    if found:
        record(True, client, text)
    else:
        record(False, client, text, "nothing matching within %.0f s; %s" % (ARGS.timeout, received(client)))
    return found


def check(ok, client, text, detail=""):
    return record(ok, client, text, detail)


def is_presence(event, name, members):
    return lambda f: (f.get("type") == "presence" and f.get("room") == ROOM and f.get("event") == event
                      and f.get("name") == name and f.get("members") == members)


def is_joined(room, members):
    return lambda f: f.get("type") == "joined" and f.get("room") == room and f.get("members") == members


def is_message(sender, text):
    return lambda f: (f.get("type") == "message" and f.get("room") == ROOM and f.get("from") == sender
                      and f.get("text") == text)


def is_direct(sender, to, text):
    return lambda f: (f.get("type") == "direct" and f.get("from") == sender and f.get("to") == to
                      and f.get("text") == text)


def is_ack(ref):
    return lambda f: f.get("type") == "ack" and f.get("ref") == ref


async def connect(client, members=None):
    """Opens client and waits for its welcome (and, for superchat, its joined) before anyone else connects."""
    try:
        await client.open()
    except Exception as e:
        record(False, client, "connects to node %s (:%d) with %s" % (client.node, port(client.node), client.protocol),
               "%s: %s" % (type(e).__name__, e))
        raise Abort("%s could not connect" % client.label)
    welcome = await expect(client, "welcome with protocol %s" % client.protocol,
                           lambda f: f.get("type") == "welcome" and f.get("protocol") == client.protocol
                           and f.get("name") == client.name and f.get("room") == client.room)
    if not welcome:
        raise Abort("%s got no welcome" % client.label)
    if client.protocol == "superchat":
        if not await expect(client, "joined %s lists %s" % (client.room, members),
                            is_joined(client.room, members)):
            raise Abort("%s did not join %s" % (client.label, client.room))


async def direct(sender, to, text, ref, recipients, copies):
    """sender directs `to`; every session in recipients gets it, the sender its ack, copies the sender copy."""
    await sender.send({"type": "direct", "to": to, "text": text, "ref": ref})
    where = ", ".join(sorted({c.node for c in recipients}))
    waits = [expect(sender, "ack for its direct to %s (%s)" % (to, ref), is_ack(ref))]
    waits += [expect(c, "direct from %s (on node %s) to %s" % (sender.name, sender.node, to),
                     is_direct(sender.name, to, text)) for c in recipients]
    waits += [expect(c, "copy of its own direct sent by %s on node %s (another session of the sender)"
                     % (sender.label, sender.node), is_direct(sender.name, to, text)) for c in copies]
    found = await asyncio.gather(*waits)
    ack, delivered = found[0], [f for f in found[1:] if f]
    if ack and delivered:
        check(all(f[1].get("id") == ack[1].get("id") for f in delivered), sender,
              "the ack's id is the id every copy of the direct carries (%s on node %s)" % (ref, where),
              "ack %s, copies %s" % (ack[1].get("id"), [f[1].get("id") for f in delivered]))


async def scenario():
    # The order of connections is part of the test. Tomcat numbers its WebSocket sessions per JVM
    # from 0, so connecting one at a time, alternating nodes, gives sessions on A and B equal
    # container ids (alice@A and bob@B 0, carol@A and alice@B 1, dave@A and dave@B 2). A server that
    # skips "the sender's session" by container id across nodes then fails here, not only in
    # production when the numbers happen to meet.
    alice = Client("alice", "A", "superchat")
    bob = Client("bob", "B", "superchat")
    alice2 = Client("alice", "B", "superchat")
    carol = Client("carol", "A", "chat")
    dave_a = Client("dave", "A", "superchat", room="side")
    dave_b = Client("dave", "B", "superchat", room="side")
    everyone = [alice, bob, alice2, carol, dave_a, dave_b]
    try:
        log("alice joins %s on node A, then bob on node B" % ROOM)
        await connect(alice, ["alice"])
        await connect(bob, ["alice", "bob"])
        await expect(alice, "presence join of bob (on node B) with members [alice, bob]",
                     is_presence("join", "bob", ["alice", "bob"]))

        log("alice's second superchat session joins %s on node B" % ROOM)
        await connect(alice2, ["alice", "bob"])

        log("carol joins %s on node A with the chat sub-protocol" % ROOM)
        await connect(carol)
        await asyncio.gather(*[expect(c, "presence join of carol (chat, on node A) with members [alice, bob, carol]",
                                      is_presence("join", "carol", ["alice", "bob", "carol"]))
                               for c in (alice, bob, alice2)])

        log("bob posts to %s on node B" % ROOM)
        await bob.send({"type": "message", "room": ROOM, "text": "hello from B", "ref": "b-1"})
        own, ack, *others = await asyncio.gather(
            expect(bob, "his own message", is_message("bob", "hello from B")),
            expect(bob, "ack b-1", is_ack("b-1")),
            *[expect(c, "bob's message (posted on node B)", is_message("bob", "hello from B"))
              for c in (alice, alice2, carol)])
        if own and ack:
            check(own[0] < ack[0] and own[1]["id"] == ack[1].get("id"), bob,
                  "his own message before its ack, same id",
                  "message #%d id %s, ack #%d id %s" % (own[0], own[1]["id"], ack[0], ack[1].get("id")))

        log("alice on node A sends a direct to bob on node B")
        await direct(alice, "bob", "psst from A", "d-1", recipients=[bob], copies=[alice2])

        log("bob on node B sends a direct to alice (sessions on A and B)")
        await direct(bob, "alice", "hi from B", "d-2", recipients=[alice, alice2], copies=[])

        log("dave opens a session on node A, then one on node B (room side); dave@A directs bob")
        await connect(dave_a, ["dave"])
        await connect(dave_b, ["dave"])
        await direct(dave_a, "bob", "from dave on A", "d-3", recipients=[bob], copies=[dave_b])

        log("bob leaves %s on node B" % ROOM)
        await bob.send({"type": "leave", "room": ROOM})
        await asyncio.gather(
            expect(bob, "left %s" % ROOM, lambda f: f.get("type") == "left" and f.get("room") == ROOM),
            *[expect(c, "presence leave of bob (on node B) with members [alice, carol]",
                     is_presence("leave", "bob", ["alice", "carol"])) for c in (alice, alice2)])

        # A fence for the checks of what must not arrive: node A queues presence to its sessions before
        # alice's next post, so once carol has the fence she would have had any presence too, and once
        # alice@B has it, bob (same node, no longer in the room) would have had it as well.
        log("alice posts a last message on node A")
        await alice.send({"type": "message", "room": ROOM, "text": "fence", "ref": "a-1"})
        _, fence_carol, fence_b = await asyncio.gather(
            expect(alice, "ack a-1", is_ack("a-1")),
            expect(carol, "alice's last message", is_message("alice", "fence")),
            expect(alice2, "alice's last message (posted on node A)", is_message("alice", "fence")))
        if fence_carol:
            extra = [describe(f) for f in carol.frames if f.get("type") not in ("welcome", "message")]
            check(not extra, carol, "(chat) got room messages only: no presence, no superchat frames",
                  "it also received: %s" % "; ".join(extra))
        if fence_b:
            check(bob.find(is_message("alice", "fence")) is None, bob,
                  "no message of %s after leaving it" % ROOM, received(bob))
    except Abort as e:
        RESULTS.append((False, "ABORTED: %s" % e))
        print("ABORTED: %s" % e, flush=True)
    finally:
        await asyncio.gather(*[c.close() for c in everyone], return_exceptions=True)


# ------------------------------------------------------------------ main

def tail(path, lines):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return
    print("----- %s (last %d of %d lines)" % (path, min(lines, len(text)), len(text)))
    for line in text[-lines:]:
        print(line)


def print_logs():
    tail(os.path.join(LOGS, "redis.log"), 15)
    for node in ("A", "B"):
        tail(os.path.join(LOGS, "node-%s.log" % node), 60)
        logs = os.path.join(LOGS, "node-" + node, "logs")
        if os.path.isdir(logs):            # Tomcat: the application's own log (start-up errors)
            for name in sorted(os.listdir(logs)):
                if name.startswith("localhost.") and os.path.getsize(os.path.join(logs, name)) > 0:
                    tail(os.path.join(logs, name), 40)


def on_signal(signum, _frame):
    raise SystemExit("cluster-contract: stopped by signal %d" % signum)


def on_alarm(_signum, _frame):
    raise SystemExit("cluster-contract: not finished after %d s (--deadline)" % ARGS.deadline)


def main():
    global ARGS, LOGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", choices=("tomcat", "payara-micro"), required=True)
    parser.add_argument("--war", required=True)
    parser.add_argument("--tomcat-home")
    parser.add_argument("--payara-jar")
    parser.add_argument("--base-port", type=int, default=13700)
    parser.add_argument("--logs", required=True, help="directory for every log and server directory (emptied first)")
    parser.add_argument("--timeout", type=float, default=10, help="seconds each expectation may wait")
    parser.add_argument("--start-timeout", type=float, default=150, help="seconds both nodes may take to be ready")
    parser.add_argument("--deadline", type=int, default=180, help="seconds for the whole run")
    ARGS = parser.parse_args()
    if ARGS.server == "tomcat" and not ARGS.tomcat_home:
        parser.error("--server tomcat needs --tomcat-home")
    if ARGS.server == "payara-micro" and not ARGS.payara_jar:
        parser.error("--server payara-micro needs --payara-jar")
    LOGS = os.path.abspath(ARGS.logs)
    shutil.rmtree(LOGS, ignore_errors=True)
    os.makedirs(LOGS)
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(ARGS.deadline)
    busy = [p for p in ("redis", "A", "B") if tcp_open(port(p))]
    if busy:
        print("cluster-contract: port(s) %s already in use (--base-port)" % ", ".join(str(port(p)) for p in busy))
        sys.exit(2)
    ok = False
    try:
        log("%s: redis :%d, node A :%d, node B :%d; logs in %s" % (ARGS.server, port("redis"), port("A"), port("B"),
                                                                 LOGS))
        start_redis()
        start = start_tomcat if ARGS.server == "tomcat" else start_payara
        t0 = time.monotonic()
        start("A")
        start("B")
        wait_ready()
        log("both nodes ready after %.1f s" % (time.monotonic() - t0))
        t1 = time.monotonic()
        asyncio.run(scenario())
        failed = [line for good, line in RESULTS if not good]
        ok = bool(RESULTS) and not failed
        print()
        print("CLUSTER CONTRACT on %s: %d expectations, %d failed, %.1f s (nodes ready in %.1f s)"
              % (ARGS.server, len(RESULTS), len(failed), time.monotonic() - t1, t1 - t0))
        for line in failed:
            print(line)
        print("RESULT: %s" % ("PASS" if ok else "FAIL"), flush=True)
    except (Abort, SystemExit) as e:
        print("RESULT: FAIL: %s" % e, flush=True)
    finally:
        signal.alarm(0)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)          # let the clean-up finish
        if not ok:
            print_logs()
            print("logs kept in %s" % LOGS, flush=True)
        stop_all()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
