#!/usr/bin/python3
"""Black-box contract test for the Duplex WebSocket chat server.

Checks a running server against the wire contract described in
docs/PROTOCOL.md: handshake validation, sub-protocol negotiation, the
welcome frame, room broadcast and isolation, per-session errors, frame
size limit, ping/pong, operator notices over HTTP and the Origin check.

Usage:
    /usr/bin/python3 src/test/blackbox/contract_test.py \
        --base http://127.0.0.1:8080/ --token TOKEN [--allowed-origin ORIGIN]

Needs only the standard library and Debian's python3-websockets (10.x,
legacy asyncio client API). Every case uses its own random room names so
runs can share a server. Ends with a line "N passed, M failed"; exit code
is 0 only when nothing failed.
"""

import argparse
import asyncio
import json
import secrets
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import websockets
import websockets.client
import websockets.exceptions

TIMEOUT = 5.0         # bound on every single network wait
CASE_TIMEOUT = 20.0   # bound on one whole case
MAX_FRAME = 64 * 1024

# Filled in by main() from the command line.
CFG = argparse.Namespace(base=None, token=None, allowed_origin=None)


class Skip(Exception):
    """Raised by a case that cannot be checked with this configuration."""


class CaseFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise CaseFailure(msg)


def room_name():
    return "bb-" + secrets.token_hex(4)


# --------------------------------------------------------------------------
# URLs and HTTP
# --------------------------------------------------------------------------

def base_parts():
    u = urllib.parse.urlsplit(CFG.base)
    path = u.path if u.path.endswith("/") else u.path + "/"
    return u.hostname, u.port or 80, path


def ws_url(params):
    host, port, path = base_parts()
    # quote_via=quote: spaces become %20, not '+', so trimming is really tested.
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return "ws://%s:%d%schat%s" % (host, port, path, "?" + query if query else "")


def own_origin():
    host, port, _ = base_parts()
    return "http://%s:%d" % (host, port)


def http_post(rel_path, body, token=None):
    """POST raw `body` (bytes) and return (status, parsed-JSON-or-None)."""
    url = urllib.parse.urljoin(CFG.base if CFG.base.endswith("/") else CFG.base + "/", rel_path)
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:  # 4xx/5xx still carry a body
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None


async def post_notice(body, token):
    # urllib blocks; run it off the event loop so sockets keep being read.
    return await asyncio.to_thread(http_post, "api/notices", body, token)


# --------------------------------------------------------------------------
# WebSocket client helper
# --------------------------------------------------------------------------

class Client:
    """One WebSocket session with bounded, JSON-aware receive helpers."""

    def __init__(self, ws, label):
        self.ws = ws
        self.label = label

    @classmethod
    async def connect(cls, params, protocols=None, origin=None):
        ws = await websockets.client.connect(
            ws_url(params), subprotocols=protocols, origin=origin,
            open_timeout=TIMEOUT, close_timeout=TIMEOUT,
            max_size=2 ** 20, ping_interval=None)
        return cls(ws, params.get("name", "?"))

    async def send_json(self, obj):
        await self.ws.send(json.dumps(obj))

    async def send_raw(self, data):
        await self.ws.send(data)

    async def say(self, text):
        await self.send_json({"type": "message", "text": text})

    # superchat sessions also hear presence, typing and acks (docs/PROTOCOL.md
    # "superchat"); the chat-level cases here are about the other frames.
    SUPERCHAT_CHATTER = ("presence", "typing", "ack")

    async def recv_json(self, timeout=TIMEOUT, keep_notices=False, keep_chatter=False):
        """Next JSON frame. Notices are skipped by default: another run on a
        shared server may post them at any time and they are not ours.
        Superchat presence/typing/ack frames are skipped unless keep_chatter."""
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout)
            except asyncio.TimeoutError:
                raise CaseFailure("%s: no frame within %.0fs" % (self.label, timeout))
            except websockets.exceptions.ConnectionClosed:
                raise CaseFailure("%s: connection closed unexpectedly (code=%s reason=%r)"
                                  % (self.label, self.ws.close_code, self.ws.close_reason))
            check(isinstance(raw, str), "%s: expected a text frame, got %r" % (self.label, raw[:80]))
            try:
                frame = json.loads(raw)
            except ValueError:
                raise CaseFailure("%s: frame is not JSON: %r" % (self.label, raw[:200]))
            check(isinstance(frame, dict), "%s: frame is not an object: %r" % (self.label, raw[:200]))
            if frame.get("type") == "notice" and not keep_notices:
                continue
            if frame.get("type") in self.SUPERCHAT_CHATTER and not keep_chatter:
                continue
            return frame

    async def expect_message(self, text, sender=None, room=None):
        frame = await self.recv_json()
        check(frame.get("type") == "message" and frame.get("text") == text,
              "%s: expected message %r, got %s" % (self.label, text[:60], short(frame)))
        if sender is not None:
            check(frame.get("from") == sender, "%s: from=%r, want %r" % (self.label, frame.get("from"), sender))
        if room is not None:
            check(frame.get("room") == room, "%s: room=%r, want %r" % (self.label, frame.get("room"), room))
        return frame

    async def expect_close(self, timeout=TIMEOUT):
        """Wait for the server to close; return (code, reason). Any data
        frames that arrive first are ignored."""
        async def drain():
            try:
                while True:
                    await self.ws.recv()
            except websockets.exceptions.ConnectionClosed:
                pass
        try:
            await asyncio.wait_for(drain(), timeout)
        except asyncio.TimeoutError:
            raise CaseFailure("%s: server did not close within %.0fs" % (self.label, timeout))
        return self.ws.close_code, self.ws.close_reason

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), TIMEOUT)
        except Exception:
            pass


def short(frame):
    s = json.dumps(frame) if not isinstance(frame, str) else frame
    return s if len(s) <= 200 else s[:200] + "..."


class Ctx:
    """Per-case state: opens clients and closes them all afterwards."""

    def __init__(self):
        self.clients = []

    async def open(self, name=None, room=None, protocols=("chat",), origin=None):
        params = {}
        if name is not None:
            params["name"] = name
        if room is not None:
            params["room"] = room
        c = await Client.connect(params, list(protocols) if protocols else None, origin)
        self.clients.append(c)
        return c

    async def join(self, name, room, protocol="chat"):
        """Open a session and consume (and sanity-check) its welcome frame."""
        c = await self.open(name, room, (protocol,))
        w = await c.recv_json()
        check(w.get("type") == "welcome", "%s: first frame is not a welcome: %s" % (name, short(w)))
        if protocol == "superchat":
            # A superchat session is told its room's members before any traffic.
            j = await c.recv_json()
            check(j.get("type") == "joined" and j.get("room") == (room or "lobby"),
                  "%s: second frame is not joined: %s" % (name, short(j)))
        return c

    async def close_all(self):
        await asyncio.gather(*(c.close() for c in self.clients))


# --------------------------------------------------------------------------
# Case registry
# --------------------------------------------------------------------------

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def check_iso_ts(frame, who):
    ts = frame.get("ts")
    check(isinstance(ts, str), "%s: ts missing or not a string: %s" % (who, short(frame)))
    try:
        datetime.fromisoformat(ts[:-1] + "+00:00" if ts.endswith("Z") else ts)
    except ValueError:
        raise CaseFailure("%s: ts %r is not ISO-8601" % (who, ts))


def check_increasing_ids(frames, who):
    ids = [f.get("id") for f in frames]
    check(all(isinstance(i, str) and i for i in ids), "%s: ids must be non-empty strings: %r" % (who, ids[:5]))
    check(len(set(ids)) == len(ids), "%s: duplicate ids" % who)
    for a, b in zip(ids, ids[1:]):
        check(a < b, "%s: ids not increasing as strings: %r then %r" % (who, a, b))


# ---- 1. connect parameters -----------------------------------------------

async def expect_rejected(ctx, name, room, code, must_mention):
    c = await ctx.open(name, room)
    got_code, reason = await c.expect_close()
    check(got_code == code, "close code %s (reason %r), want %d" % (got_code, reason, code))
    check(reason and must_mention in reason.lower(),
          "close reason %r should say what is wrong (mention %r)" % (reason, must_mention))


def rejected_name_case(label, name):
    async def fn(ctx):
        await expect_rejected(ctx, name, room_name(), 4001, "name")
    fn.__name__ = "connect_rejects_" + label
    return case(fn)


rejected_name_case("missing_name", None)
rejected_name_case("blank_name", "   ")
rejected_name_case("name_33_chars", "n" * 33)
rejected_name_case("control_char_name", "al\x01ice")


@case
async def connect_rejects_invalid_room(ctx):
    await expect_rejected(ctx, "alice", "Bad_Room", 4001, "room")


@case
async def connect_accepts_32_char_name(ctx):
    name = "n" * 32
    c = await ctx.open(name, room_name())
    w = await c.recv_json()
    check(w.get("type") == "welcome" and w.get("name") == name, "welcome: %s" % short(w))


@case
async def connect_trims_name(ctx):
    c = await ctx.open("  bob  ", room_name())
    w = await c.recv_json()
    check(w.get("type") == "welcome" and w.get("name") == "bob", "want trimmed name 'bob', got %s" % short(w))


# ---- 2. sub-protocol negotiation -----------------------------------------

def negotiation_case(offer, expected):
    async def fn(ctx):
        c = await ctx.open("alice", room_name(), offer)
        check(c.ws.subprotocol == expected,
              "offer %r: server chose %r, want %r" % (offer, c.ws.subprotocol, expected))
        w = await c.recv_json()
        check(w.get("protocol") == expected, "welcome protocol: %s" % short(w))
    fn.__name__ = "subprotocol_%s_picks_%s" % ("_".join(offer), expected)
    return case(fn)


negotiation_case(("chat", "superchat"), "chat")
negotiation_case(("superchat", "chat"), "superchat")
negotiation_case(("foo", "chat"), "chat")


def unsupported_protocol_case(label, offer):
    async def fn(ctx):
        c = await ctx.open("alice", room_name(), offer)
        code, reason = await c.expect_close()
        check(code == 4002, "close code %s (reason %r), want 4002" % (code, reason))
        check(reason and "superchat" in reason and "chat" in reason.replace("superchat", ""),
              "reason %r should name superchat and chat" % reason)
    fn.__name__ = "subprotocol_" + label + "_closes_4002"
    return case(fn)


unsupported_protocol_case("none_offered", None)
unsupported_protocol_case("only_foo", ("foo",))


# ---- 3. welcome ----------------------------------------------------------

@case
async def welcome_defaults_to_lobby(ctx):
    c = await ctx.open("alice", None, ("chat",))
    w = await c.recv_json()
    want = {"type": "welcome", "protocol": "chat", "name": "alice", "room": "lobby"}
    got = {k: w.get(k) for k in want}
    check(got == want, "welcome %s, want fields %s" % (short(w), want))


@case
async def welcome_reports_room_and_protocol(ctx):
    room = room_name()
    c = await ctx.open("carol", room, ("superchat",))
    w = await c.recv_json()
    want = {"type": "welcome", "protocol": "superchat", "name": "carol", "room": room}
    got = {k: w.get(k) for k in want}
    check(got == want, "welcome %s, want fields %s" % (short(w), want))


# ---- 4. messaging --------------------------------------------------------

@case
async def message_reaches_everyone_in_room(ctx):
    room = room_name()
    alice = await ctx.join("alice", room, "chat")
    bob = await ctx.join("bob", room, "superchat")  # also proves cross-protocol delivery
    await alice.say("hi")
    frames = [await c.expect_message("hi", "alice", room) for c in (alice, bob)]
    for f in frames:
        check_iso_ts(f, "message")
        check(isinstance(f.get("id"), str) and f["id"], "id missing: %s" % short(f))
    check(frames[0]["id"] == frames[1]["id"], "receivers saw different ids: %s / %s"
          % (frames[0]["id"], frames[1]["id"]))
    # And the other direction: superchat -> chat.
    await bob.say("hello back")
    for c in (alice, bob):
        await c.expect_message("hello back", "bob", room)


@case
async def message_ids_unique_and_increasing(ctx):
    room = room_name()
    alice = await ctx.join("alice", room)
    bob = await ctx.join("bob", room)
    frames = []
    for i in range(5):
        sender = alice if i % 2 == 0 else bob
        await sender.say("m%d" % i)
        frames.append(await alice.expect_message("m%d" % i))
        await bob.expect_message("m%d" % i)
    check_increasing_ids(frames, "alice")


@case
async def rooms_are_isolated(ctx):
    room_a, room_b = room_name(), room_name()
    a = await ctx.join("alice", room_a)
    b = await ctx.join("bob", room_b)
    await a.say("secret for A")
    await a.expect_message("secret for A")   # A's message is out by now
    # Marker: if B had been sent A's message it would arrive before this.
    await b.say("marker for B")
    f = await b.recv_json()
    check(f.get("type") == "message" and f.get("text") == "marker for B" and f.get("room") == room_b,
          "room B saw %s before its own marker" % short(f))


@case
async def burst_of_200_arrives_complete_and_in_order(ctx):
    room = room_name()
    sender = await ctx.join("alice", room, "chat")
    chat_rx = await ctx.join("bob", room, "chat")
    super_rx = await ctx.join("carol", room, "superchat")
    texts = ["burst %03d" % i for i in range(200)]
    for t in texts:
        await sender.say(t)
    for c in (sender, chat_rx, super_rx):
        frames = [await c.recv_json() for _ in texts]
        got = [f.get("text") for f in frames]
        for i, (g, t) in enumerate(zip(got, texts)):
            check(g == t, "%s: frame %d of the burst is %r, want %r" % (c.label, i, g, t))
        check_increasing_ids(frames, c.label)


# ---- 5. bad input --------------------------------------------------------

def bad_input_case(label, payload, code):
    async def fn(ctx):
        room = room_name()
        sender = await ctx.join("alice", room)
        observer = await ctx.join("bob", room)
        await sender.send_raw(payload)
        err = await sender.recv_json()
        check(err.get("type") == "error" and err.get("code") == code,
              "sent %r, want error code %r, got %s" % (payload if len(payload) < 60 else payload[:60], code, short(err)))
        check(isinstance(err.get("message"), str) and err["message"], "error lacks message: %s" % short(err))
        # The connection survives: a valid message still goes through.
        await sender.say("still alive")
        await sender.expect_message("still alive")
        # The observer's next frame is that message, so it saw nothing of the error.
        f = await observer.recv_json()
        check(f.get("type") == "message" and f.get("text") == "still alive",
              "observer saw %s before the follow-up message" % short(f))
    fn.__name__ = "bad_input_" + label
    return case(fn)


bad_input_case("malformed_json", "{not json", "bad-json")
bad_input_case("unknown_type", json.dumps({"type": "dance"}), "unknown-type")
bad_input_case("missing_text", json.dumps({"type": "message"}), "blank-text")
bad_input_case("blank_text", json.dumps({"type": "message", "text": "   "}), "blank-text")
bad_input_case("text_4001_chars", json.dumps({"type": "message", "text": "x" * 4001}), "too-long")
bad_input_case("no_type", json.dumps({"text": "hi"}), "bad-frame")
bad_input_case("json_array", json.dumps([{"type": "message", "text": "hi"}]), "bad-frame")
bad_input_case("numeric_text", json.dumps({"type": "message", "text": 5}), "bad-frame")
bad_input_case("binary_frame", b"\x00\x01binary", "binary-unsupported")


@case
async def text_of_4000_chars_is_accepted(ctx):
    room = room_name()
    alice = await ctx.join("alice", room)
    text = "y" * 4000
    await alice.say(text)
    await alice.expect_message(text)


# ---- 6. frame size limit -------------------------------------------------

@case
async def frame_over_64k_closes_1009(ctx):
    alice = await ctx.join("alice", room_name())
    await alice.say("z" * 70000)
    code, reason = await alice.expect_close()
    check(code == 1009, "close code %s (reason %r), want 1009" % (code, reason))


# ---- 7. ping ------------------------------------------------------------

@case
async def ping_gets_pong(ctx):
    alice = await ctx.join("alice", room_name())
    await alice.send_json({"type": "ping"})
    f = await alice.recv_json()
    check(f.get("type") == "pong", "want pong, got %s" % short(f))


# ---- 8. operator notices -------------------------------------------------

@case
async def notice_reaches_all_rooms_and_protocols(ctx):
    listeners = [await ctx.join("alice", room_name(), "chat"),
                 await ctx.join("bob", room_name(), "superchat"),
                 await ctx.join("carol", room_name(), "chat")]
    text = "maintenance " + secrets.token_hex(4)
    status, body = await post_notice(json.dumps({"text": text}).encode(), CFG.token)
    check(status == 202, "POST /api/notices: status %s, want 202 (body %s)" % (status, body))
    check(isinstance(body, dict) and body.get("id") not in (None, ""), "202 body lacks id: %s" % body)
    nid = str(body["id"])
    for c in listeners:
        # Skip notices from other runs sharing the server; ours must come.
        while True:
            f = await c.recv_json(keep_notices=True)
            check(f.get("type") == "notice", "%s: expected notice, got %s" % (c.label, short(f)))
            if str(f.get("id")) == nid:
                break
        check(f.get("text") == text, "%s: notice text %r" % (c.label, f.get("text")))
        check_iso_ts(f, c.label)


@case
async def notice_without_token_401(ctx):
    status, _ = await post_notice(b'{"text":"x"}', None)
    check(status == 401, "status %s, want 401" % status)


@case
async def notice_with_wrong_token_401(ctx):
    status, _ = await post_notice(b'{"text":"x"}', CFG.token + "-wrong")
    check(status == 401, "status %s, want 401" % status)


@case
async def notice_blank_text_400(ctx):
    status, body = await post_notice(b'{"text":"   "}', CFG.token)
    check(status == 400 and isinstance(body, dict) and body.get("code") == "blank-text",
          "status %s body %s, want 400 blank-text" % (status, body))


@case
async def notice_malformed_json_400(ctx):
    status, body = await post_notice(b'{"text":', CFG.token)
    check(status == 400 and isinstance(body, dict) and body.get("code") == "bad-json",
          "status %s body %s, want 400 bad-json" % (status, body))


@case
async def notice_without_configured_token_403(ctx):
    raise Skip("server under test has a token configured")


# ---- 9. origin check -----------------------------------------------------

@case
async def origin_foreign_rejected_403(ctx):
    try:
        await ctx.open("alice", room_name(), origin="http://evil.example")
    except websockets.exceptions.InvalidStatusCode as e:
        check(e.status_code == 403, "handshake status %s, want 403" % e.status_code)
        return
    raise CaseFailure("handshake with Origin http://evil.example was accepted")


async def expect_origin_accepted(ctx, origin):
    try:
        c = await ctx.open("alice", room_name(), origin=origin)
    except websockets.exceptions.InvalidStatusCode as e:
        raise CaseFailure("origin %r: handshake rejected with HTTP %s" % (origin, e.status_code))
    w = await c.recv_json()
    check(w.get("type") == "welcome", "origin %r: first frame %s" % (origin, short(w)))


@case
async def origin_same_host_accepted(ctx):
    await expect_origin_accepted(ctx, own_origin())


@case
async def origin_absent_accepted(ctx):
    await expect_origin_accepted(ctx, None)


@case
async def origin_allowed_list_accepted(ctx):
    if not CFG.allowed_origin:
        raise Skip("no --allowed-origin given")
    await expect_origin_accepted(ctx, CFG.allowed_origin)


# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------

async def run_case(fn):
    ctx = Ctx()
    try:
        await asyncio.wait_for(fn(ctx), CASE_TIMEOUT)
        return "pass", ""
    except Skip as e:
        return "skip", str(e)
    except CaseFailure as e:
        return "fail", str(e)
    except asyncio.TimeoutError:
        return "fail", "case exceeded %.0fs" % CASE_TIMEOUT
    except Exception as e:  # unexpected: show where
        return "fail", "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc(limit=3))
    finally:
        await ctx.close_all()


async def run_all():
    passed = failed = 0
    for fn in CASES:
        start = time.monotonic()
        outcome, reason = await run_case(fn)
        took = time.monotonic() - start
        if outcome == "pass":
            passed += 1
            print("PASS %s (%.2fs)" % (fn.__name__, took))
        elif outcome == "skip":
            print("SKIP %s: %s" % (fn.__name__, reason))
        else:
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, reason))
        sys.stdout.flush()
    return passed, failed


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="page URL, e.g. http://127.0.0.1:8080/duplex/")
    p.add_argument("--token", required=True, help="operator admin token")
    p.add_argument("--allowed-origin", default=None, help="an Origin the server is configured to allow")
    args = p.parse_args()
    if not args.base.endswith("/"):
        args.base += "/"
    CFG.__dict__.update(vars(args))
    passed, failed = asyncio.run(run_all())
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
