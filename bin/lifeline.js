#!/usr/bin/env node
// Entry point. Runs a prebuilt ESM bundle of src/ (esbuild, dependencies left external) when one exists for exactly
// the current sources, else builds it (≈0.3 s, once per source change) and runs it, else falls back to loading the
// TypeScript through tsx's ESM hook. Why: tsx compiles ~140 modules on every start (≈0.6 s CPU); the bundle starts
// in ≈0.1 s. The bundle's name carries a hash of every file under src/ (content, not mtime), so it can never be
// stale: any edit gives a new name. dist/ is gitignored; nothing to run by hand on a fresh clone.
// LIFELINE_NO_BUNDLE=1 forces tsx (debugging with exact source positions).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const srcDir = join(root, 'src');
const distDir = join(root, 'dist');
/** Bumped when the build options below change, so old bundles are not reused. */
const BUILD_VERSION = '2';

/** Hash of the relative path and content of every file under src/ (sorted), plus the build version and location. */
function sourceHash() {
  const h = createHash('sha1');
  h.update(BUILD_VERSION);
  // The bundle embeds absolute source URLs (import.meta.url): a moved or copied checkout needs its own build.
  h.update(srcDir);
  const files = readdirSync(srcDir, { recursive: true })
    .map(String)
    .sort();
  for (const rel of files) {
    const p = join(srcDir, rel);
    if (!statSync(p).isFile()) continue;
    h.update(`\0${rel}\0`);
    h.update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}

/** Builds the bundle into `target` (atomically: temp file + rename, so concurrent starts never see half a file). */
async function build(target) {
  const esbuild = await import('esbuild');
  // Bundled modules would see the bundle's URL in import.meta.url; give each module its own source URL back.
  const ownUrl = {
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const url = JSON.stringify(pathToFileURL(args.path).href);
        return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
  mkdirSync(distDir, { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    await esbuild.build({
      entryPoints: [join(srcDir, 'cli', 'main.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      plugins: [ownUrl],
      logLevel: 'silent',
    });
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  // Best effort: remove bundles of older sources.
  for (const f of readdirSync(distDir)) {
    if (f.startsWith('cli-') && join(distDir, f) !== target && !f.endsWith('.tmp')) {
      rmSync(join(distDir, f), { force: true });
    }
  }
}

async function loadMain() {
  if (process.env.LIFELINE_NO_BUNDLE !== '1') {
    try {
      const target = join(distDir, `cli-${sourceHash()}.mjs`);
      let fresh = false;
      try {
        fresh = statSync(target).isFile();
      } catch {
        await build(target);
        fresh = true;
      }
      if (fresh) return (await import(pathToFileURL(target).href)).main;
    } catch {
      // Read-only checkout, esbuild missing, a build error: tsx below reports real errors with source positions.
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}

const main = await loadMain();
await main(process.argv);
