// Summarises a JFR recording's execution samples: where Duplex's own frames sit, top self frames
// and top inclusive frames. Streams `jfr print` text (the JSON form of a few-MB recording can
// exceed what one string holds). Usage: node jfr-summary.js <jfr-tool> <recording.jfr>
"use strict";
const { spawn } = require("child_process");
const readline = require("readline");
const [jfrTool, file] = process.argv.slice(2);
const p = spawn(jfrTool, ["print", "--stack-depth", "64", "--events", "jdk.ExecutionSample", file], { stdio: ["ignore", "pipe", "inherit"] });
const self = new Map(), incl = new Map(), viaDuplex = new Map();
let n = 0, frames = [];
const frameRe = /^\s+([\w.$<>]+)\(.*\)\s+line:/;
function flush() {
  if (!frames.length) return;
  n++;
  const s = frames[0];
  self.set(s, (self.get(s) || 0) + 1);
  for (const x of new Set(frames)) incl.set(x, (incl.get(x) || 0) + 1);
  const d = frames.find((f) => f.startsWith("dev.duplex"));
  const key = d || "(outside Duplex's code: container I/O, GC helpers, timers)";
  viaDuplex.set(key, (viaDuplex.get(key) || 0) + 1);
  frames = [];
}
readline.createInterface({ input: p.stdout }).on("line", (line) => {
  if (line.startsWith("jdk.ExecutionSample")) flush();
  const m = frameRe.exec(line);
  if (m) frames.push(m[1]);
}).on("close", () => {
  flush();
  const top = (m, k) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k)
    .map(([x, c]) => `${(100 * c / n).toFixed(1).padStart(5)} %  ${x}`).join("\n");
  console.log(`${n} execution samples (JFR, profile settings), whole 1 000-subscriber run including connection set-up.\n`);
  console.log("Innermost Duplex frame of each sample:\n\n```\n" + top(viaDuplex, 12) + "\n```\n");
  console.log("Hottest methods, self time:\n\n```\n" + top(self, 15) + "\n```\n");
  console.log("Inclusive (on the stack), top 40:\n\n```\n" + top(incl, 40) + "\n```");
});
