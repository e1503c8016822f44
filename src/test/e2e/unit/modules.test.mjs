// The page's modules as the browser loads them: plain files under webapp/, no build step.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const WEBAPP = join(dirname(fileURLToPath(import.meta.url)), '../../../../webapp');

function modules(dir = WEBAPP) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'WEB-INF' ? [] : modules(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

test('every module loads', async () => {
  // Nothing touches the DOM before it is asked to, so Node can load the page's modules too.
  for (const file of modules()) await import(pathToFileURL(file).href);
});

test('every import is relative, so the WAR works under any context root', () => {
  for (const file of modules()) {
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    for (const specifier of specifiers) {
      assert.match(specifier, /^\.\.?\//, `${relative(WEBAPP, file)} imports ${specifier}`);
    }
  }
});

test('no module writes HTML: user text goes in with textContent', () => {
  for (const file of modules()) {
    assert.doesNotMatch(readFileSync(file, 'utf8'), /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write/,
      relative(WEBAPP, file));
  }
});

test('index.html preloads every module the page imports', () => {
  const html = readFileSync(join(WEBAPP, 'index.html'), 'utf8');
  const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]));
  const entry = /<script type="module" src="([^"]+)">/.exec(html)[1];
  const all = modules().map((file) => relative(WEBAPP, file).split('\\').join('/'));
  assert.deepEqual([...all].filter((m) => m !== entry && !preloaded.has(m)), [], 'not preloaded');
  assert.deepEqual([...preloaded].filter((m) => !all.includes(m)), [], 'preloaded but missing');
});
