// Regenerates test/fixtures/diagnose/*.evidence.json from the scenario worlds (scenarios.ts).
// With --expected it also rewrites expected.json from the current verdicts: review the diff before committing.
//   node --import tsx test/diagnose/make-fixtures.ts [--expected]
import { mkdirSync, writeFileSync } from 'node:fs';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { expectedOf, FIXTURE_DIR, FULL_GOLDEN, loadFixture } from './fixtures.ts';
import { SCENARIOS } from './scenarios.ts';

mkdirSync(FIXTURE_DIR, { recursive: true });
const expected: Record<string, unknown> = {};
for (const s of SCENARIOS)
  for (const [variant, make] of Object.entries(s.variants)) {
    const results = make!(s.world);
    const name = `${s.name}.${variant}`;
    writeFileSync(new URL(`${name}.evidence.json`, FIXTURE_DIR), `${JSON.stringify(results)}\n`);
    expected[name] = expectedOf(diagnose({ results, options: DEFAULT_OPTIONS }).diagnosis);
  }
if (process.argv.includes('--expected')) {
  writeFileSync(new URL('expected.json', FIXTURE_DIR), `${JSON.stringify(expected, null, 1)}\n`);
  const full = diagnose({ results: loadFixture(FULL_GOLDEN), options: DEFAULT_OPTIONS }).diagnosis;
  writeFileSync(new URL(`${FULL_GOLDEN}.diagnosis.json`, FIXTURE_DIR), `${JSON.stringify(full, null, 1)}\n`);
}
