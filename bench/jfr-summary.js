// Summarises a JFR recording's execution samples: top self frames, top inclusive frames, and the
// hottest path through Duplex's code. Usage: node jfr-summary.js <jfr-tool> <recording.jfr>
"use strict";
const { execFileSync } = require("child_process");
const [jfrTool, file] = process.argv.slice(2);
const json = execFileSync(jfrTool, ["print", "--json", "--stack-depth", "96", "--events", "jdk.ExecutionSample", file],
  { maxBuffer: 1 << 30 }).toString();
const events = JSON.parse(json).recording.events;
const name = (f) => `${f.method.type.name.replace(/\//g, ".")}.${f.method.name}`;
const self = new Map(), incl = new Map(), viaDuplex = new Map();
let n = 0;
for (const e of events) {
  const frames = (e.values.stackTrace && e.values.stackTrace.frames) || [];
  if (!frames.length) continue;
  n++;
  const s = name(frames[0]);
  self.set(s, (self.get(s) || 0) + 1);
  for (const x of new Set(frames.map(name))) incl.set(x, (incl.get(x) || 0) + 1);
  const d = frames.findIndex((f) => f.method.type.name.replace(/\//g, ".").startsWith("dev.duplex"));
  const key = d < 0 ? "(outside Duplex's code: container I/O, GC helpers, timers)" : name(frames[d]);
  viaDuplex.set(key, (viaDuplex.get(key) || 0) + 1);
}
const top = (m, k) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k)
  .map(([x, c]) => `${(100 * c / n).toFixed(1).padStart(5)} %  ${x}`).join("\n");
console.log(`${n} execution samples (JFR, profile settings, 10-20 ms per thread).\n`);
console.log("Innermost Duplex frame of each sample:\n\n```\n" + top(viaDuplex, 12) + "\n```\n");
console.log("Hottest methods, self time:\n\n```\n" + top(self, 15) + "\n```\n");
console.log("Inclusive (on the stack), top 40:\n\n```\n" + top(incl, 40) + "\n```");
