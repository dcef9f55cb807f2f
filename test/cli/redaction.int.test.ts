// Hostile secrets through every command that prints evidence: `capture inspect`, `evidence inspect`, `diagnose`,
// in text and JSON (and Markdown/HTML for diagnose). With --no-redact the same secrets do appear, which proves the
// hostile text reaches each output and the redacted run removed it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TcpScript, writePcap } from '../capture/analysis/synth.ts';
import { cat, wsFrame } from '../capture/analysis/ws-build.ts';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

const JWT_BODY = 'eyJzdWIiOiJhZ2VudC03IiwiZXhwIjoxfQ';
const JWT = `eyJhbGciOiJIUzI1NiJ9.${JWT_BODY}.c2lnbmF0dXJlMQ`;
const SECRETS = ['TOKSECRET', JWT_BODY, 'BEARERSECRET', 'COOKIESECRET', 'PASSSECRET', 'USERINFOSECRET'];
const PATH = `/v1/notification/subscription/s1?token=TOKSECRET&access_token=${JWT}&v=2`;
const MESSAGES = [
  '{"type":"Welcome","data":{"agentId":"a7"}}',
  '{"type":"AgentStateChange","data":{"note":"Authorization: Bearer BEARERSECRET","password":"PASSSECRET"}}',
  'login retry for alice password=PASSSECRET cookie: sid=COOKIESECRET',
];

let dir = '';
let har = '';
let pcap = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-redact-'));
  har = join(dir, 'desktop.har');
  writeFileSync(har, JSON.stringify(hostileHar()));
  pcap = join(dir, 'pc.pcap');
  writePcap(pcap, hostileCapture().packets);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function hostileHar(): unknown {
  const t0 = Date.parse('2026-11-25T09:00:00Z') / 1000;
  return {
    log: {
      creator: { name: 'WebInspector' },
      entries: [
        {
          _resourceType: 'websocket',
          startedDateTime: '2026-11-25T09:00:00Z',
          request: {
            url: `wss://agent:USERINFOSECRET@api.wxcc-us1.cisco.com${PATH}`,
            headers: [{ name: 'Cookie', value: 'sid=COOKIESECRET' }],
          },
          response: { status: 101 },
          _webSocketMessages: MESSAGES.map((data, i) => ({ type: 'receive', time: t0 + i * 4, opcode: 1, data })),
        },
      ],
    },
  };
}

/** A plain ws:// Notifs flow: the Upgrade carries the token, the messages and the close reason carry secrets. */
function hostileCapture(): TcpScript {
  const s = new TcpScript({ sport: 80 }).handshake();
  s.send(
    'c',
    `GET ${PATH} HTTP/1.1\r\nHost: api.wxcc-us1.cisco.com\r\nUpgrade: websocket\r\n` +
      'Authorization: Bearer BEARERSECRET\r\nCookie: sid=COOKIESECRET\r\n\r\n',
  );
  s.send('s', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
  for (const m of MESSAGES) s.at(4000).send('s', wsFrame(1, m));
  s.at(10).send('s', wsFrame(8, cat(new Uint8Array([0x0f, 0xa0]), new TextEncoder().encode('password=PASSSECRET'))));
  s.fin('s');
  s.fin('c');
  return s;
}

function leaked(text: string): string[] {
  return SECRETS.filter((x) => text.includes(x));
}

/**
 * Runs the command redacted and with --no-redact: nothing leaks, and the unredacted run shows `mustShow` (proof
 * that the hostile text reaches this output at all).
 */
function check(label: string, args: string[], mustShow: string[], output = (r: { stdout: string }) => r.stdout): void {
  const r = run(...args);
  assert.equal(r.status, 0, `${label}: ${r.stderr}`);
  assert.deepEqual(leaked(output(r)), [], `${label} leaks`);
  assert.deepEqual(leaked(r.stderr), [], `${label} leaks on stderr`);
  if (mustShow.length === 0) return; // this output carries no captured text here: only "nothing leaks" is checked
  assert.match(output(r), /\[REDACTED\]/, `${label} says what it removed`);
  const raw = run(...args, '--no-redact');
  assert.equal(raw.status, 0, `${label} --no-redact: ${raw.stderr}`);
  for (const x of mustShow) assert.ok(output(raw).includes(x), `${label} --no-redact keeps ${x}`);
}

test('capture inspect, text and --json: tokens in the Upgrade URL and secrets in the close reason are redacted', () => {
  check('capture inspect', ['capture', 'inspect', pcap], ['TOKSECRET', JWT_BODY, 'PASSSECRET']);
  check('capture inspect --json', ['capture', 'inspect', pcap, '--json'], ['TOKSECRET', JWT_BODY, 'PASSSECRET']);
  const j = JSON.parse(run('capture', 'inspect', pcap, '--json').stdout);
  assert.equal(j.redacted, true);
  assert.equal(j.wsFlows[0].path, '/v1/notification/subscription/s1?token=[REDACTED]&access_token=[REDACTED]&v=2');
});

test('evidence inspect (text, --events, --json, --json --events) over a HAR and a capture', () => {
  check('evidence inspect har', ['evidence', 'inspect', har], ['TOKSECRET', JWT_BODY, 'USERINFOSECRET']);
  check(
    'evidence inspect --events har',
    ['evidence', 'inspect', '--events', har],
    ['TOKSECRET', 'BEARERSECRET', 'COOKIESECRET', 'PASSSECRET'],
  );
  check('evidence inspect --json har', ['evidence', 'inspect', '--json', har], ['TOKSECRET', JWT_BODY]);
  check(
    'evidence inspect --json --events har',
    ['evidence', 'inspect', '--json', '--events', har],
    ['TOKSECRET', JWT_BODY, 'BEARERSECRET', 'COOKIESECRET', 'PASSSECRET'],
  );
  check(
    'evidence inspect --json --events pcap',
    ['evidence', 'inspect', '--json', '--events', pcap],
    ['TOKSECRET', 'BEARERSECRET', 'PASSSECRET'],
  );
  const j = JSON.parse(run('evidence', 'inspect', '--json', '--events', har).stdout);
  assert.equal(j.redacted, true);
  const texts = j.files[0].events.flatMap((e: { text?: string }) => (e.text ? [e.text] : []));
  assert.ok(texts.includes('login retry for alice password=[REDACTED] cookie: [REDACTED]'), texts.join('\n'));
});

test('diagnose: --json carries the URLs redacted; text, --md - and --html - print none of the secrets', () => {
  check('diagnose --json', ['diagnose', har, pcap, '--json'], ['TOKSECRET', JWT_BODY, 'USERINFOSECRET']);
  // The reports quote no message text of this evidence (test/diagnose/golden.test.ts covers quoted close reasons).
  check('diagnose', ['diagnose', har, pcap], []);
  check('diagnose --md -', ['diagnose', har, pcap, '--md', '-'], []);
  check('diagnose --html -', ['diagnose', har, pcap, '--html', '-'], []);
});

test('messages about unreadable files are redacted too (a path can carry a copied URL)', () => {
  const missing = join(dir, 'desktop.har?token=TOKSECRET');
  for (const args of [
    ['diagnose', har, missing],
    ['diagnose', har, missing, '--allow-missing'],
    ['evidence', 'inspect', har, missing],
    ['evidence', 'inspect', '--json', har, missing],
  ]) {
    const r = run(...args);
    const all = r.stdout + r.stderr;
    assert.deepEqual(leaked(all), [], args.join(' '));
    assert.match(all, /desktop\.har\?token=\[REDACTED\]/, args.join(' '));
    assert.ok((run(...args, '--no-redact').stdout + run(...args, '--no-redact').stderr).includes('TOKSECRET'));
  }
});
