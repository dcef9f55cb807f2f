// The layers of docs/architecture.md, checked on every import in src/: no file imports from a higher layer, and
// the folders import each other without cycles. Only the command-line layer (src/cli and each area's cli.ts)
// knows exit codes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Lower numbers are lower layers; a file may import its own layer or lower ones. */
const LAYER: Record<string, number> = {
  ground: 0, // src/*.ts: errors, redact, duration, input/output files
  events: 0,
  protocol: 1,
  capture: 2,
  evidence: 3,
  diagnose: 4,
  server: 2,
  desktop: 2,
  browser: 1,
  lab: 5,
  cli: 6,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The area of a source file: its top folder, `ground` for src/*.ts, `cli` for every command-line module. */
function area(file: string): string {
  const rel = relative(SRC, file).split('/');
  if (rel.length === 1) return 'ground';
  const base = rel[rel.length - 1];
  if (rel[0] === 'cli' || base === 'cli.ts' || base.endsWith('-cli.ts')) return 'cli';
  return rel[0];
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b\s*(?:[^'"]*?from\s+)?'(\.[^']+)'/gm)].map((m) =>
    resolve(dirname(file), m[1]),
  );
}

const all = files(SRC);

test('every area of src/ has a layer', () => {
  const unknown = [...new Set(all.map(area))].filter((a) => !(a in LAYER));
  assert.deepEqual(unknown, []);
});

test('no file imports from a higher layer', () => {
  const bad: string[] = [];
  for (const f of all)
    for (const target of imports(f)) {
      const [from, to] = [area(f), area(target)];
      if (LAYER[to] > LAYER[from]) bad.push(`${relative(SRC, f)} (${from}) → ${relative(SRC, target)} (${to})`);
    }
  assert.deepEqual(bad, []);
});

test('exit codes are known only to the command-line layer', () => {
  const bad = all.filter((f) => area(f) !== 'cli' && imports(f).some((t) => t.endsWith('/cli/exit-codes.ts')));
  assert.deepEqual(
    bad.map((f) => relative(SRC, f)),
    [],
  );
});

test('no cycles between folders', () => {
  const edges = new Map<string, Set<string>>();
  for (const f of all)
    for (const t of imports(f)) {
      const [a, b] = [area(f), area(t)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
    }
  const cycles: string[] = [];
  const visit = (node: string, path: string[]) => {
    for (const next of edges.get(node) ?? []) {
      if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
      else visit(next, [...path, next]);
    }
  };
  for (const a of edges.keys()) visit(a, [a]);
  assert.deepEqual([...new Set(cycles)], []);
});
