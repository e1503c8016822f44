// Turns bench/run.sh results (JSON lines from the load generator) into docs/BENCHMARKS.md and the
// latency-vs-load chart. No dependencies. Usage: node report.js results.jsonl meta.json out.md out.svg
"use strict";
const fs = require("fs");
const path = require("path");

const [resultsFile, metaFile, outMd, outSvg] = process.argv.slice(2);
const rows = fs.readFileSync(resultsFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const meta = JSON.parse(fs.readFileSync(metaFile, "utf8"));
const workDir = path.dirname(resultsFile);

const A = "duplex";
const B = "peer";
const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const range = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  return s.length ? [s[0], s[s.length - 1]] : [null, null];
};
const fmt = (v, digits = 1) => {
  if (v === null || v === undefined) return "–";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US").replace(/,/g, " ");
  return v.toFixed(digits);
};
const ms = (us) => (us === null ? null : us / 1000);

function pick(server, phase, filter = () => true) {
  return rows.filter((r) => r.server === server && r.phase === phase && r.round > 0 && filter(r));
}
// One figure: per-server median (min–max) over rounds, and the ratio X/peer paired per round.
const PATCHED = "patched";
const hasPatched = rows.some((r) => r.server === PATCHED);
function figure(phase, metric, transform = (x) => x, filter) {
  const stats = (server) => {
    const rs = pick(server, phase, filter);
    const v = rs.map((r) => transform(metric(r)));
    return { rs, m: median(v), r: range(v) };
  };
  const b = stats(B);
  const ratioOf = (server) => {
    const x = stats(server);
    const ratios = [];
    for (const ra of x.rs) {
      const rb = b.rs.find((y) => y.round === ra.round);
      const va = transform(metric(ra)), vb = rb ? transform(metric(rb)) : null;
      if (vb && va !== null && va !== undefined) ratios.push(va / vb);
    }
    return { m: x.m, r: x.r, ratio: median(ratios), rr: range(ratios) };
  };
  return { a: ratioOf(A), p: hasPatched ? ratioOf(PATCHED) : null, b };
}
const cell = (m, r, d) => (m === null ? "–" : `${fmt(m, d)} (${fmt(r[0], d)}–${fmt(r[1], d)})`);
const ratioCell = (f) => (f.ratio === null ? "–" : `**${f.ratio.toFixed(2)}×** (${f.rr[0].toFixed(2)}–${f.rr[1].toFixed(2)})`);
const verdict = (f, target, lowerIsBetter) => {
  if (f.ratio === null) return "no data";
  const ok = lowerIsBetter ? f.ratio <= target : f.ratio >= target;
  return ok ? "met" : "**missed**";
};

const lines = [];
const table = [];
table.push(`| figure | metric | Duplex | ${hasPatched ? "Duplex + patches | " : ""}peer (Node \`ws\`) | Duplex ÷ peer | ${hasPatched ? "patched ÷ peer | " : ""}target |`);
table.push(`|---|---|---|${hasPatched ? "---|" : ""}---|---|${hasPatched ? "---|" : ""}---|`);
function addRow(label, metricName, f, digits, target, lowerIsBetter) {
  const t = target ? `${lowerIsBetter ? "≤" : "≥"} ${target}×: ${verdict(f.a, target, lowerIsBetter)}${hasPatched ? " / " + verdict(f.p, target, lowerIsBetter) : ""}` : "";
  table.push(`| ${label} | ${metricName} | ${cell(f.a.m, f.a.r, digits)} | ${hasPatched ? cell(f.p.m, f.p.r, digits) + " | " : ""}${cell(f.b.m, f.b.r, digits)} | ${ratioCell(f.a)} | ${hasPatched ? ratioCell(f.p) + " | " : ""}${t} |`);
}
const sub1 = rows.find((r) => r.phase === "fig1");
const sub2 = rows.find((r) => r.phase === "fig2");
const hold = rows.find((r) => r.mode === "hold");
const l1 = sub1 ? `1. ${sub1.subs} subscribers, 1 publisher, ${sub1.rate} msg/s` : "1.";
const l2 = sub2 ? `2. ${sub2.subs} subscribers, 1 publisher, ${sub2.rate} msg/s` : "2.";
for (const [phase, label] of [["fig1", l1], ["fig2", l2]]) {
  const lat = (k) => (r) => (r.delivered > 0 ? ms(r[k]) : null);
  addRow(label, "latency p50, ms", figure(phase, lat("p50Us")), 2, 1.0, true);
  addRow(label, "latency p99, ms", figure(phase, lat("p99Us")), 2, 1.0, true);
  addRow(label, "latency p99.9, ms", figure(phase, lat("p999Us")), 2, null, true);
  addRow(label, "deliveries lost, %", figure(phase, (r) => 100 * r.lost / Math.max(1, r.expected)), 1, null, true);
  addRow(label, "server CPU µs per delivery", figure(phase, (r) => r.serverCpuUsPerDelivery), 2, 1.0, true);
  addRow(label, "deliveries/s achieved", figure(phase, (r) => r.deliveriesPerS), 0, null, false);
}
const sat = rows.find((r) => r.phase === "fig3");
addRow(`3. saturation, ${sat ? sat.subs : "?"} subscribers, window 200 messages`, "deliveries/s", figure("fig3", (r) => r.deliveriesPerS), 0, 1.0, false);
addRow(`4. ${hold ? hold.conns : "?"} idle connections`, "RSS per connection, kB", figure("hold", (r) => r.rssPerConnBytes / 1000), 2, 1.5, true);
addRow(`4. ${hold ? hold.conns : "?"} idle connections`, "RSS total with them, MB", figure("hold", (r) => r.rssAfterKb / 1024), 1, null, true);

// Loss, order, closes, generator CPU: the health of each run.
const health = ["| server | round | phase | sent | expected | delivered | lost | out of order | closes | server CPU % | generator CPU % | generator µs/delivery |", "|---|---|---|---|---|---|---|---|---|---|---|---|"];
for (const r of rows.filter((x) => x.mode === "fanout")) {
  health.push(`| ${r.server} | ${r.round} | ${r.phase}${r.phase === "sweep" ? " " + r.rate : ""} | ${r.sent} | ${r.expected} | ${r.delivered} | ${r.lost} | ${r.outOfOrder} | ${JSON.stringify(r.closes).replace(/"/g, "")} | ${fmt(r.serverCpuPct)} | ${fmt(r.genCpuPct)} | ${fmt(r.genCpuUsPerDelivery, 2)} |`);
}
const holdRows = ["| server | round | connected | connect time, s | RSS before, MB | RSS after, MB | per connection, kB |", "|---|---|---|---|---|---|---|"];
for (const r of rows.filter((x) => x.mode === "hold")) {
  holdRows.push(`| ${r.server} | ${r.round} | ${r.connected} / ${r.conns} | ${fmt(r.connectMs / 1000)} | ${fmt(r.rssBeforeKb / 1024)} | ${fmt(r.rssAfterKb / 1024)} | ${fmt(r.rssPerConnBytes / 1000, 2)} |`);
}

// Figure 5: bytes on the wire.
const wd = rows.find((r) => r.mode === "wire" && r.server === A);
const wp = rows.find((r) => r.mode === "wire" && r.server === B);
const wire = [];
if (wd && wp) {
  const pollRt = wp.pollRequestBytes + wp.pollResponseBytes;
  wire.push("| what | bytes |", "|---|---|");
  wire.push(`| client → server WebSocket frame for \`${wd.clientPayloadBytes}\`-byte \`{"type":"message","text":…}\` (2-byte header + 4-byte mask + payload) | ${wd.clientFrameBytes} |`);
  wire.push(`| server → client WebSocket frame, Duplex (\`chat\` frame with id, room, from, ts) | ${wd.serverFrameBytes} |`);
  wire.push(`| server → client WebSocket frame, peer (the sender's bytes, unchanged) | ${wp.serverFrameBytes} |`);
  wire.push(`| one-time WebSocket handshake (request + response), Duplex | ${wd.handshakeRequestBytes} + ${wd.handshakeResponseBytes} |`);
  wire.push(`| HTTP polling round trip carrying the same message: GET with Chrome's ordinary headers, no cookies | ${wp.pollRequestBytes} |`);
  wire.push(`| … its response from Node's \`http\` (headers ${wp.pollResponseHeaderBytes} + body ${wp.pollResponseBytes - wp.pollResponseHeaderBytes}) | ${wp.pollResponseBytes} |`);
  wire.push(`| **polling round trip ÷ WebSocket delivery (Duplex frame)** | **${(pollRt / wd.serverFrameBytes).toFixed(1)}×** (${pollRt} vs ${wd.serverFrameBytes}) |`);
  wire.push(`| **polling round trip ÷ WebSocket delivery (peer frame)** | **${(pollRt / wp.serverFrameBytes).toFixed(1)}×** (${pollRt} vs ${wp.serverFrameBytes}) |`);
}

// Latency vs load chart: the sweep on the big subscriber set, medians over rounds.
function sweep(server) {
  const byRate = new Map();
  for (const r of rows.filter((x) => x.server === server && x.round > 0 && (x.phase === "sweep" || x.phase === "fig1"))) {
    if (!byRate.has(r.rate)) byRate.set(r.rate, []);
    byRate.get(r.rate).push(r);
  }
  return [...byRate.entries()].sort((a, b) => a[0] - b[0]).map(([rate, rs]) => ({
    load: median(rs.map((r) => r.deliveriesPerS)),
    offered: rate * rs[0].subs,
    p50: median(rs.filter((r) => r.delivered > 0).map((r) => r.p50Us)) / 1000,
    p99: median(rs.filter((r) => r.delivered > 0).map((r) => r.p99Us)) / 1000,
    lost: median(rs.map((r) => r.lost / Math.max(1, r.expected))),
  }));
}
const series = [
  { name: "Duplex p99", pts: sweep(A), key: "p99", color: "#c0392b", dash: "" },
  { name: "Duplex p50", pts: sweep(A), key: "p50", color: "#c0392b", dash: "6 4" },
  ...(hasPatched ? [
    { name: "Duplex+patches p99", pts: sweep(PATCHED), key: "p99", color: "#1e8449", dash: "" },
    { name: "Duplex+patches p50", pts: sweep(PATCHED), key: "p50", color: "#1e8449", dash: "6 4" }] : []),
  { name: "peer p99", pts: sweep(B), key: "p99", color: "#2471a3", dash: "" },
  { name: "peer p50", pts: sweep(B), key: "p50", color: "#2471a3", dash: "6 4" },
];
function svg() {
  const W = 720, H = 420, L = 70, R = 170, T = 40, Bm = 50;
  const all = series.flatMap((s) => s.pts.filter((p) => p[s.key] > 0).map((p) => ({ x: p.offered, y: Math.max(0.01, p[s.key]) })));
  if (all.length === 0) return "<svg xmlns='http://www.w3.org/2000/svg'/>";
  const xMax = Math.max(...all.map((p) => p.x)) * 1.05;
  const yMinL = Math.floor(Math.log10(Math.min(...all.map((p) => p.y))));
  const yMaxL = Math.ceil(Math.log10(Math.max(...all.map((p) => p.y))));
  const X = (x) => L + (x / xMax) * (W - L - R);
  const Y = (y) => T + (1 - (Math.log10(Math.max(y, 10 ** yMinL)) - yMinL) / Math.max(1, yMaxL - yMinL)) * (H - T - Bm);
  const o = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(`<text x="${L}" y="22" font-size="14" font-weight="bold">Delivery latency vs offered load (${sub1 ? sub1.subs : "?"} subscribers, 1 publisher; medians of ${meta.rounds} rounds)</text>`);
  for (let e = yMinL; e <= yMaxL; e++) {
    const y = Y(10 ** e);
    o.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    o.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ms</text>`);
  }
  const step = xMax > 60000 ? 20000 : xMax > 20000 ? 10000 : xMax > 5000 ? 2000 : 500;
  for (let x = 0; x <= xMax; x += step) {
    o.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${T}" y2="${H - Bm}" stroke="#eee"/>`);
    o.push(`<text x="${X(x)}" y="${H - Bm + 16}" text-anchor="middle">${x / 1000}k</text>`);
  }
  o.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">offered deliveries per second (messages/s × subscribers)</text>`);
  o.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${H - Bm}" stroke="black"/><line x1="${L}" x2="${W - R}" y1="${H - Bm}" y2="${H - Bm}" stroke="black"/>`);
  series.forEach((s, i) => {
    s.pts = s.pts.filter((p) => p[s.key] > 0);
    const pts = s.pts.map((p) => `${X(p.offered).toFixed(1)},${Y(Math.max(0.01, p[s.key])).toFixed(1)}`).join(" ");
    o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ""} points="${pts}"/>`);
    for (const p of s.pts) {
      o.push(`<circle cx="${X(p.offered).toFixed(1)}" cy="${Y(Math.max(0.01, p[s.key])).toFixed(1)}" r="3" fill="${p.lost > 0.001 ? "white" : s.color}" stroke="${s.color}"/>`);
    }
    const ly = T + 20 + i * 20;
    o.push(`<line x1="${W - R + 15}" x2="${W - R + 45}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ""}/>`);
    o.push(`<text x="${W - R + 50}" y="${ly + 4}">${s.name}</text>`);
  });
  o.push(`<text x="${W - R + 15}" y="${T + 150}" fill="#555">open marker: &gt;0.1% of</text><text x="${W - R + 15}" y="${T + 164}" fill="#555">deliveries lost; a series</text><text x="${W - R + 15}" y="${T + 178}" fill="#555">stops where nothing</text><text x="${W - R + 15}" y="${T + 192}" fill="#555">arrived in time</text>`);
  o.push("</svg>");
  return o.join("\n");
}
fs.writeFileSync(outSvg, svg() + "\n");

const sweepServers = hasPatched ? [A, PATCHED, B] : [A, B];
const sweepTable = ["| offered deliveries/s | " + sweepServers.map((x) => `${x}: achieved/s, p50 / p99 ms, lost`).join(" | ") + " |",
  "|---|" + sweepServers.map(() => "---|").join("")];
const sweeps = sweepServers.map((x) => sweep(x));
for (const offered of [...new Set(sweeps.flat().map((p) => p.offered))].sort((a, b) => a - b)) {
  sweepTable.push(`| ${fmt(offered, 0)} | ` + sweeps.map((sw) => {
    const p = sw.find((x) => x.offered === offered);
    return p ? `${fmt(p.load, 0)}, ${fmt(p.p50 || null, 2)} / ${fmt(p.p99 || null, 2)}, ${(100 * p.lost).toFixed(1)} %` : "–";
  }).join(" | ") + " |");
}

let profile = "";
const profFile = path.join(workDir, "profile.txt");
if (fs.existsSync(profFile)) profile = fs.readFileSync(profFile, "utf8");

const relSvg = path.relative(path.dirname(outMd), outSvg);
lines.push("# Benchmarks: Duplex vs the study notes' Node `ws` chat server");
lines.push("");
lines.push(`Generated by \`bench/run.sh\` on ${meta.date} from commit \`${meta.commit}\`${meta.smoke ? " — **smoke run: tiny sizes, not a measurement**" : ""}. Every number below comes from that one run; rerun the command to refresh it.`);
lines.push("");
lines.push("```sh");
lines.push("bench/run.sh            # builds, starts each server in turn, runs every figure, writes this file (~30 min; less without patches to try)");
lines.push("bench/run.sh --smoke    # the same at toy sizes, for CI (~2 min, most of it builds and Payara starts)");
lines.push("```");
lines.push("");
lines.push("## Results");
lines.push("");
lines.push(`Each figure: median over ${meta.rounds} rounds with min–max; servers alternate A B A B, each round on a fresh server process. The ratio is Duplex ÷ peer, paired per round, median (min–max). Latencies are from the publisher's intended send time to the subscriber's read (CLOCK_MONOTONIC), so a stalled publisher counts against the server. Server CPU is utime+stime from \`/proc/PID/stat\` over the measured window divided by the deliveries in it, so it holds on a noisy machine; latency does not, which is why rounds alternate.`);
lines.push("");
lines.push(...table);
lines.push("");
lines.push("Figure 5, bytes on the wire for one chat message (application bytes on the TCP stream; each direction also pays 52 bytes of IPv4+TCP headers per segment):");
lines.push("");
lines.push(...wire);
lines.push("");
lines.push(`![Latency vs load](${relSvg})`);
lines.push("");
lines.push("Latency vs load (the chart's data; subscriber set of figure 1):");
lines.push("");
lines.push(...sweepTable);
lines.push("");
const jmhFile = path.join(workDir, "jmh.json");
if (fs.existsSync(jmhFile)) {
  const jmh = JSON.parse(fs.readFileSync(jmhFile, "utf8"));
  lines.push("## JMH: the hot path without the container");
  lines.push("");
  lines.push("`bench/jmh/run.sh` (JMH 1.37, main sources compiled in; fan-out hands one encoded broadcast to 1 000 `ChatConnection`s whose sink completes each send at once):");
  lines.push("");
  lines.push("| benchmark | ns/op | ± (99.9 %) | per delivery |", "|---|---|---|---|");
  for (const b of jmh) {
    const n = b.benchmark.replace(/.*\./, "");
    const sc = b.primaryMetric.score, err = b.primaryMetric.scoreError;
    const per = n === "fanOut" ? `${(sc / Number(b.params.sessions)).toFixed(0)} ns` : "";
    lines.push(`| ${n} | ${sc.toFixed(0)} | ${err.toFixed(0)} | ${per} |`);
  }
  lines.push("");
  lines.push("Fan-out, Duplex's own share per delivery, is far below a microsecond; the tens of microseconds measured above are spent in the container's send path (next section). `decode` runs once per incoming message, not per delivery (JSON-P validation, then JSON-B binding).");
  lines.push("");
}
if (fs.existsSync(path.join(__dirname, "ANALYSIS.md"))) {
  lines.push(fs.readFileSync(path.join(__dirname, "ANALYSIS.md"), "utf8").trim());
  lines.push("");
}
if (profile) {
  lines.push("## Profile of this run (Duplex, round 1, 1 000-subscriber phases)");
  lines.push("");
  lines.push(profile.trim());
  lines.push("");
}
lines.push("## Machine");
lines.push("");
lines.push(`- CPU: ${meta.cpu}, ${meta.cores} cores (shared: the servers, the generator and other people's builds all run here), ${meta.memGiB} GiB, Linux ${meta.kernel}; load average at the end ${meta.loadavg}`);
lines.push(`- ${meta.java}; Payara Micro ${meta.payara}; Node ${meta.node}; ws ${meta.ws}`);
lines.push("");
lines.push("## Exact commands");
lines.push("");
lines.push("Duplex (the WAR is built from the working tree with `mvn -q -DskipTests package`):");
lines.push("");
lines.push("```sh");
lines.push("DUPLEX_RATE_LIMIT=1000000 DUPLEX_RATE_BURST=1000000 DUPLEX_MAX_CONNECTIONS_PER_ADDRESS=1000000 \\");
lines.push(`  java ${meta.javaOpts ? meta.javaOpts + " " : ""}-jar payara-micro.jar --nohazelcast --deploy duplex.war --contextroot / --port 97xx`);
lines.push("```");
lines.push("");
lines.push("Only the per-session rate limit and the per-address connection cap are lifted (benchmark traffic is one publisher at up to 1 000 msg/s, and every connection comes from 127.0.0.x); the send buffer and every other setting keep their defaults.");
lines.push("");
lines.push("Peer: `node bench/peer-ws/server.js 96xx` — the notes' `server.js` (002) on `ws` 8: a welcome on connect, every message re-sent to every OPEN client. Without the per-message `console.log` and the stdin prompt, bound to 127.0.0.1, and with a `GET /poll` for figure 5. As in the notes, `client.send(message)` of ws 8's `Buffer` goes out as a binary frame.");
lines.push("");
if (hasPatched) {
  lines.push(`Duplex + patches: the WAR built with \`bench/patches/*.diff\` applied (proposed changes to the main code), run with the proposed JVM options: \`java ${meta.patchedJavaOpts} -jar payara-micro.jar --nohazelcast …\` (same settings otherwise).`);
  lines.push("");
}
const analysis = path.join(__dirname, "ANALYSIS.md");
lines.push("Load generator (`bench/loadgen`, Java 17, NIO, one I/O thread, HdrHistogram); every client joins room `bench` offering sub-protocol `chat` (the peer accepts it too) and sends `{\"type\":\"message\",\"text\":\"~seq:pub:t~xxx…\"}` with a 64-character text; a delivery counts when a subscriber reads a frame carrying the marker. Publishers are room members too and read their echoes, which are not counted. Per server and round:");
lines.push("");
lines.push("```sh");
lines.push(`loadgen --mode hold --conns ${hold ? hold.conns : "?"} --settle 5                       # figure 4, first, on the fresh process`);
lines.push(`loadgen --mode fanout --subs ${sub1 ? sub1.subs : "?"} --pubs 1 --window 64 --phases ${[...new Set(rows.filter((x) => x.server === A && x.round === 1 && x.subs === (sub1 && sub1.subs) && x.mode === "fanout").map((x) => `${x.phase}:${x.rate}:…:${x.measureS}`))].join(",")}`);
lines.push(`loadgen --mode fanout --subs ${sub2 ? sub2.subs : "?"} --pubs 1 --phases fig2:${sub2 ? sub2.rate : "?"}:5:${sub2 ? sub2.measureS : "?"}`);
lines.push("loadgen --mode wire [--poll-url http://127.0.0.1:96xx/poll?room=bench&since=…]   # figure 5, once per server");
lines.push("```");
lines.push("");
lines.push("A phase is `name:msgs-per-s:warm-up-s:measured-s` (rate 0: as fast as a window of 200 undelivered messages per subscriber allows). After each measured window the generator waits up to 5 s for the stragglers; what has not arrived by then is lost. Phases run in ascending load on the same connections, so a server that falls behind carries its backlog into the next phase (its deliveries/s then still measure its capacity).");
lines.push("");
lines.push("## Every run");
lines.push("");
lines.push(...health);
lines.push("");
lines.push(...holdRows);
lines.push("");
fs.writeFileSync(outMd, lines.join("\n") + "\n");
