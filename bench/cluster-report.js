// Turns bench/cluster.sh results into a markdown table: fan-out through nginx with one node vs two.
// No dependencies. Usage: node cluster-report.js results.jsonl meta.json out.md
// Prints the table and writes it to out.md; exits 1 if a run is missing, lost connections or
// left a node without clients (the table is still written, with the problems listed under it).
"use strict";
const fs = require("fs");

const [resultsFile, metaFile, outMd] = process.argv.slice(2);
const rows = fs.readFileSync(resultsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const meta = JSON.parse(fs.readFileSync(metaFile, "utf8"));
const CONFIGS = ["one", "two"];
const phases = meta.phases.split(",").map((p) => {
  const [name, rate] = p.split(":");
  return { name, rate: Number(rate) };
});
const rounds = Array.from({ length: meta.rounds }, (_, i) => i + 1);

const present = (x) => x !== null && x !== undefined && !Number.isNaN(x);
const median = (xs) => {
  const s = xs.filter(present).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (v, digits = 1) => {
  if (!present(v)) return "–";
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US").replace(/,/g, " ");
  return v.toFixed(digits);
};
const spread = (xs, digits) => {
  const s = xs.filter(present).sort((a, b) => a - b);
  if (s.length === 0) return "–";
  const m = fmt(median(s), digits);
  return s.length === 1 ? m : `${m} (${fmt(s[0], digits)}–${fmt(s[s.length - 1], digits)})`;
};
const phaseRow = (cfg, phase, round) =>
  rows.find((r) => r.mode === "fanout" && r.server === cfg && r.phase === phase && r.round === round);
const runRow = (cfg, round) => rows.find((r) => r.mode === "cluster" && r.server === cfg && r.round === round);

const problems = [];
const out = [];
out.push(`### Fan-out through nginx: one node vs two (Redis backplane)`, "");
out.push(`${meta.subs} subscribers and 1 publisher in one room, connected through nginx (round robin, no stickiness); ` +
  `${meta.rounds} round(s), one and two alternating, each run on fresh node(s). Medians over rounds (min–max). ` +
  `Node CPU is the sum over the node processes.`, "");
out.push("| configuration | phase | offered deliveries/s | deliveries/s | p50 ms | p99 ms | lost | node CPU µs/delivery | node CPU % | generator CPU % |");
out.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const ph of phases) {
  for (const cfg of CONFIGS) {
    const rs = rounds.map((r) => phaseRow(cfg, ph.name, r)).filter(Boolean);
    for (const r of rounds) {
      const x = phaseRow(cfg, ph.name, r);
      if (!x) problems.push(`${cfg} round ${r}: no result for phase ${ph.name}`);
      else if (x.delivered === 0 || x.connectFailures > 0 || x.connected !== x.subs + x.pubs) {
        problems.push(`${cfg} round ${r} ${ph.name}: delivered ${x.delivered}, connected ${x.connected}, ` +
          `connect failures ${x.connectFailures}, closes ${JSON.stringify(x.closes)}`);
      }
    }
    const col = (f) => rs.map(f);
    out.push(`| ${cfg} | ${ph.name} | ${ph.rate > 0 ? fmt(ph.rate * meta.subs) : "as fast as it goes"} | ` +
      `${spread(col((x) => x.deliveriesPerS), 0)} | ${fmt(median(col((x) => x.p50Us / 1000)), 2)} | ` +
      `${fmt(median(col((x) => x.p99Us / 1000)), 2)} | ${rs.reduce((a, x) => a + x.lost, 0)} | ` +
      `${spread(col((x) => x.serverCpuUsPerDelivery), 2)} | ${fmt(median(col((x) => x.serverCpuPct)), 0)} | ` +
      `${fmt(median(col((x) => x.genCpuPct)), 0)} |`);
  }
}
out.push("", "Lost is summed over rounds. CPU % is of one core.", "");

// Two ÷ one, paired round by round (each pair ran back to back), then the median of the ratios.
out.push("| phase | deliveries/s, two ÷ one | node CPU µs/delivery, two ÷ one | p99, two ÷ one |");
out.push("|---|---:|---:|---:|");
for (const ph of phases) {
  const ratios = (f) => rounds.map((r) => {
    const a = phaseRow("one", ph.name, r), b = phaseRow("two", ph.name, r);
    return a && b && present(f(a)) && present(f(b)) && f(a) > 0 ? f(b) / f(a) : null;
  });
  out.push(`| ${ph.name} | ${spread(ratios((x) => x.deliveriesPerS), 2)} | ` +
    `${spread(ratios((x) => x.serverCpuUsPerDelivery), 2)} | ${spread(ratios((x) => x.p99Us), 2)} |`);
}
out.push("");

// Where nginx put the clients, and what Redis and nginx cost, over each whole generator run.
out.push("| configuration | connections per node, by round | Redis CPU % | nginx CPU % | nodes CPU % |");
out.push("|---|---|---:|---:|---:|");
for (const cfg of CONFIGS) {
  const rs = rounds.map((r) => runRow(cfg, r)).filter(Boolean);
  for (const r of rounds) {
    const x = runRow(cfg, r);
    if (!x) problems.push(`${cfg} round ${r}: no run summary`);
    else if (x.sessions.length !== x.nodes || x.sessions.some((s) => s === 0)) {
      problems.push(`${cfg} round ${r}: a node had no clients (sessions ${x.sessions.join("/")})`);
    }
  }
  out.push(`| ${cfg} | ${rs.map((x) => x.sessions.join("/")).join(", ")} | ${spread(rs.map((x) => x.redisCpuPct), 0)} | ` +
    `${spread(rs.map((x) => x.nginxCpuPct), 0)} | ${spread(rs.map((x) => x.nodesCpuPct), 0)} |`);
}
out.push("", "Connections are the WebSocket connections nginx held to each node at most (the publisher included); the CPU figures here span the whole run (connecting, warm-ups, every phase).", "");

out.push(`Machine: ${meta.cores} × ${meta.cpu}; load average ${meta.loadavgStart} at the start, ${meta.loadavgEnd} at the end ` +
  `(everything — generator, nginx, Redis, the nodes — shares these cores). ${meta.date}, commit ${meta.commit}; ` +
  `Payara Micro ${meta.payara} (--nohazelcast, JVM options \`${meta.javaOpts || "none"}\`), ${meta.java}, Redis ${meta.redis}, ` +
  `nginx ${meta.nginx}. Phases \`${meta.phases}\` (name:msgs per s:warm-up s:measured s; 0 = as fast as a 200-message window allows)` +
  `${meta.smoke ? "; **smoke run: sizes too small to quote**" : ""}.`);
if (problems.length) out.push("", "**Problems:**", "", ...problems.map((p) => `- ${p}`));

const md = out.join("\n") + "\n";
fs.writeFileSync(outMd, md);
process.stdout.write(md);
if (problems.length) process.exit(1);
