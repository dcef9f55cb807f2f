import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { mdEscape, renderMarkdown } from '../../src/diagnose/report-md.ts';
import { loadFixture } from './fixtures.ts';

test('mdEscape neutralises markup, links, table pipes and newlines', () => {
  assert.equal(mdEscape('a|b\nc'), 'a\\|b c');
  assert.equal(mdEscape('<script>x</script>'), '&lt;script&gt;x&lt;/script&gt;');
  assert.equal(mdEscape('[click](javascript:alert(1))'), '\\[click\\]\\(javascript:alert\\(1\\)\\)');
  assert.equal(mdEscape('**bold** `code`'), '\\*\\*bold\\*\\* \\`code\\`');
});

test('the Markdown report of hostile evidence: one table row per fact, no raw markup, secrets redacted', () => {
  const { diagnosis } = diagnose({ results: loadFixture('hostile-strings.all'), options: DEFAULT_OPTIONS });
  const md = renderMarkdown(diagnosis);
  assert.match(md, /^# Agent Desktop disconnect diagnosis\n/);
  assert.match(md, /## Incident 1: closed-by-server — backend/);
  assert.ok(!md.includes('<script>'));
  assert.ok(!md.includes('<img'));
  assert.ok(!md.includes('SECRET123'));
  for (const line of md.split('\n').filter((l) => l.startsWith('| 20')))
    assert.equal(line.split(/(?<!\\)\|/).length, 5, `a fact broke out of its row: ${line.slice(0, 120)}`);
});

test('Markdown: bidi overrides and ESC from captured text are shown escaped, never raw', () => {
  assert.equal(mdEscape('a\u202eb\u2066c\u001b[2Jd'), 'a\\\\u202eb\\\\u2066c\\\\x1b\\[2Jd');
  const results = loadFixture('closed-by-server.har').map((r) => ({
    ...r,
    problems: [
      { code: 'X', message: 'evil \u202eesrever\u202c \u001b[31m', file: r.file, severity: 'warning' as const },
    ],
  }));
  const { diagnosis } = diagnose({ results, options: DEFAULT_OPTIONS });
  const md = renderMarkdown(diagnosis);
  assert.ok(
    !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(md),
    'a raw control or bidi char',
  );
  assert.ok(md.includes('evil \\\\u202eesrever\\\\u202c \\\\x1b\\[31m'), 'the problem is shown, escaped');
});

test('Markdown header block and per-incident Notifs connections', () => {
  const { diagnosis } = diagnose({ results: loadFixture('closed-by-server.har'), options: DEFAULT_OPTIONS });
  const md = renderMarkdown(diagnosis, {
    version: '9.9.9',
    commandLine: ['lifeline', 'diagnose', 'desktop.har', '--md', 'out file.md'],
    generatedAt: Date.UTC(2026, 11, 4, 3, 0, 0),
    inputs: [{ file: 'desktop.har', size: 2048, sha256: 'ab'.repeat(32) }],
  });
  assert.match(md, /\| Lifeline \| 9\\\.9\\\.9 \|/);
  assert.match(md, /\| Command \| lifeline diagnose desktop\\\.har \\-\\-md \\'out file\\\.md\\' \|/);
  assert.match(md, /\| Timers \| silence 16 s, recovery 50 s, keepalive 4 s \|/);
  assert.match(md, /\| Generated \| 2026\\-12\\-04T03:00:00\\\.000Z \|/);
  assert.ok(md.includes(`| desktop\\.har | 2\\.00 KiB \\(2048 bytes\\) | ${'ab'.repeat(32)} | har/har\\-chrome |`), md);
  assert.match(md, /\*\*Notifs connections:\*\*/);
  assert.match(
    md,
    /\| desktop\\\.har \| har\\-1 \| host api\\\.wxcc\\-us1\\\.cisco\\\.com \| .* \| by server code 4001 \\"server restart\\" at /,
  );
});
