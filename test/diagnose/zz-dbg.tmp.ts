import { analyseIncident } from '../../src/diagnose/analyses.ts';
import { findIncidents } from '../../src/diagnose/incidents.ts';
import { buildTimeline } from '../../src/diagnose/timeline.ts';
import { readEvidence } from '../../src/evidence/read-evidence.ts';

const d = process.argv[2];
const files = process.argv.slice(3);
const opts = { silenceMs: 1000, recoveryMs: 4000, keepaliveMs: 250 };
const results = await Promise.all(files.map((f) => readEvidence(d + f)));
const tl = buildTimeline(results, opts);
const T = (t: number) => ((t / 1000) % 100).toFixed(3);
for (const s of tl.sources) console.log(s.file.split('/').pop(), JSON.stringify(s.alignment));
for (const inc of findIncidents(tl, opts)) {
  const f = analyseIncident(inc, tl, opts);
  console.log(
    inc.triggers.map(
      (t) => `${t.kind} ${t.dir ?? ''} ${t.source.split('/').pop()} ${T(t.from)}-${T(t.to)}${t.tail ? ' tail' : ''}`,
    ),
  );
  console.log(
    JSON.stringify(f.wire.map((w) => ({ ...w, from: T(w.from), to: T(w.to), rsts: w.rsts.length, source: undefined }))),
  );
  console.log(
    'firstSilentDir',
    f.firstSilentDir,
    'appDuringWire c2s',
    f.appDuringWireSilence.c2s.length,
    'appOther s2c',
    f.appOtherDirDuringSilence.s2c.length,
    'bursts',
    f.bursts.length,
    'fails',
    f.fails.map((x) => x.stage + ':' + x.error),
    'closes',
    f.closes.map((c) => `${c.kind} ${T(c.ts)} ${'by' in c ? c.by : ''}`),
  );
}
