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
const BUILD_VERSION = '3';

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

/**
 * Builds the bundle into the directory `target` (atomically: temp directory + rename, so concurrent starts never see
 * half a bundle). Split into chunks because esbuild hoists a bundled module's package imports to the top of the file
 * it lands in: in one file, a module the CLI imports lazily (`await import('./redis-store.ts')`) would still load
 * its packages (ioredis, ws) at every start. With splitting, lazily imported modules stay in chunks of their own.
 */
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
      entryPoints: { main: join(srcDir, 'cli', 'main.ts') },
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      splitting: true,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      plugins: [ownUrl],
      logLevel: 'silent',
    });
    try {
      renameSync(tmp, target);
    } catch (err) {
      // A concurrent start renamed its identical build into place first (a directory is not replaced): use that.
      if (!statSync(join(target, 'main.mjs'), { throwIfNoEntry: false })?.isFile()) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // Best effort: remove bundles of older sources. Not recent ones: a process started from one may still import
  // its lazily loaded chunks.
  const stale = Date.now() - 10 * 60_000;
  for (const f of readdirSync(distDir)) {
    const p = join(distDir, f);
    if (f.startsWith('cli-') && p !== target && !f.endsWith('.tmp')) {
      try {
        if (statSync(p).mtimeMs < stale) rmSync(p, { recursive: true, force: true });
      } catch {
        // Removed by a concurrent start.
      }
    }
  }
}

async function loadMain() {
  if (process.env.LIFELINE_NO_BUNDLE !== '1') {
    try {
      const target = join(distDir, `cli-${sourceHash()}`);
      const entry = join(target, 'main.mjs');
      let fresh = false;
      try {
        fresh = statSync(entry).isFile();
      } catch {
        await build(target);
        fresh = true;
      }
      if (fresh) return (await import(pathToFileURL(entry).href)).main;
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
