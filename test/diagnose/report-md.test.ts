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
