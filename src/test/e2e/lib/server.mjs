// Starts, stops and restarts the Duplex WAR on Payara Micro for the end-to-end tests.
// Builds nothing: `mvn verify` (or `mvn -DskipTests package`) leaves target/duplex.war and
// target/payara-micro.jar behind; the jar falls back to the local Maven repository.

import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const ADMIN_TOKEN = 'e2e-secret';
const PAYARA_VERSION = '6.2025.10';

export function findArtifacts() {
  const war = process.env.DUPLEX_WAR || join(REPO, 'target', 'duplex.war');
  let jar = process.env.PAYARA_MICRO_JAR || join(REPO, 'target', 'payara-micro.jar');
  if (!existsSync(jar)) {
    jar = join(homedir(), '.m2', 'repository', 'fish', 'payara', 'extras', 'payara-micro',
      PAYARA_VERSION, `payara-micro-${PAYARA_VERSION}.jar`);
  }
  if (!existsSync(war)) throw new Error(`${war} is missing: run mvn verify (or mvn -DskipTests package) first`);
  if (!existsSync(jar)) throw new Error(`Payara Micro jar not found (target/payara-micro.jar or ${jar})`);
  return { war, jar };
}

function portFree(port) {
  return new Promise((ok) => {
    const probe = createServer();
    probe.once('error', () => ok(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => ok(true)));
  });
}

/** A free port in 11000–11999 (the range these tests may use). */
export async function pickPort() {
  const start = 11000 + Math.floor(Math.random() * 900);
  for (let i = 0; i < 1000; i += 1) {
    const port = 11000 + ((start - 11000 + i) % 1000);
    if (await portFree(port)) return port;
  }
  throw new Error('no free port in 11000-11999');
}

export class PayaraServer {
  constructor({ port, logDir }) {
    const { war, jar } = findArtifacts();
    this.war = war;
    this.jar = jar;
    this.port = port;
    this.logDir = logDir;
    this.child = null;
    this.starts = 0;
    mkdirSync(logDir, { recursive: true });
  }

  get base() {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Starts Payara Micro and waits (bounded) until GET / answers 200. */
  async start({ timeoutMs = 90_000 } = {}) {
    if (this.child) throw new Error('already running');
    this.starts += 1;
    const log = createWriteStream(join(this.logDir, `payara-${this.starts}.log`));
    const args = [
      '-Xss1m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
      `-Dduplex.admin.token=${ADMIN_TOKEN}`,
      '-jar', this.jar,
      '--nohazelcast',
      '--deploy', this.war,
      '--contextroot', '/',
      '--port', String(this.port),
    ];
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
    child.exited = exited;
    const deadline = Date.now() + timeoutMs;
    let early = null;
    exited.then((r) => { early = r; });
    while (Date.now() < deadline) {
      if (early) throw new Error(`Payara Micro exited during start-up (${JSON.stringify(early)}); see ${this.logDir}`);
      try {
        const res = await fetch(this.base, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) return;
      } catch { /* not up yet */ }
      await delay(250);
    }
    await this.stop();
    throw new Error(`Payara Micro did not answer 200 on ${this.base} within ${timeoutMs} ms`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop({ graceMs = 20_000 } = {}) {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const done = await Promise.race([child.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await Promise.race([child.exited, delay(5000)]);
    }
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  /** POST /api/notices with the test token. */
  async notice(text) {
    const res = await fetch(new URL('api/notices', this.base), {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(5000),
    });
    if (res.status !== 202) throw new Error(`notice: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }
}
