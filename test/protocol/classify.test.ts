import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyMessage, isLifelineMessage } from '../../src/protocol/classify.ts';
import { wxccDataCentre } from '../../src/protocol/wxcc.ts';

test('WxCC and Lifeline message classes', () => {
  const cases: [string, string, string | undefined][] = [
    ['{"keepalive":"true"}', 'keepalive', undefined],
    ['{"type":"Welcome","data":{"agentId":"a"}}', 'welcome', 'Welcome'],
    ['{"type":"AgentMultiLoginCloseSession","data":{}}', 'multilogin', 'AgentMultiLoginCloseSession'],
    ['{"type":"AGENT_MULTI_LOGIN"}', 'multilogin', 'AGENT_MULTI_LOGIN'],
    ['{"type":"Ack","data":{"cseq":3}}', 'resume', 'Ack'],
    ['{"type":"AgentStateChange","data":{},"epoch":"e","seq":4}', 'notification', 'AgentStateChange'],
    ['{"type":"DesktopMessage","cseq":1,"data":{}}', 'notification', 'DesktopMessage'],
    ['not json', 'other', undefined],
    ['{"broken":', 'other', undefined],
    ['[1,2]', 'other', undefined],
    ['{"x":1}', 'other', undefined],
  ];
  for (const [text, cls, type] of cases) {
    const m = classifyMessage(text);
    assert.equal(m.cls, cls, text);
    assert.equal(m.type, type, text);
  }
  const n = classifyMessage('{"type":"AgentStateChange","data":{},"epoch":"e","seq":4}');
  assert.deepEqual([n.epoch, n.seq], ['e', 4]);
  const w = classifyMessage('{"type":"Welcome","data":{"agentId":"a","position":{"epoch":"e2","seq":9}}}');
  assert.deepEqual([w.epoch, w.seq], ['e2', 9]);
});

test('Lifeline-only shapes are told apart from plain WxCC', () => {
  const lif = (t: string) => isLifelineMessage(t, classifyMessage(t));
  assert.equal(lif('{"keepalive":"true"}'), false);
  assert.equal(lif('{"type":"Welcome","data":{"agentId":"a"}}'), false);
  assert.equal(lif('{"type":"Welcome","data":{"agentId":"a","resume":{"recovered":true}}}'), true);
  assert.equal(lif('{"type":"Ack","data":{"cseq":3}}'), true);
  assert.equal(lif('{"type":"DesktopMessage","cseq":1,"data":{}}'), true);
  assert.equal(lif('{"type":"X","data":{},"epoch":"e","seq":1}'), true);
  // Another project's "ack" (Zeek's broker: {"type": "ack", "endpoint": …}) is not Lifeline's Ack.
  assert.equal(lif('{"type": "ack", "endpoint": "a", "version": "2.8"}'), false);
  assert.equal(classifyMessage('{"type": "ack", "endpoint": "a"}').cls, 'notification');
});

test('WxCC data centres from host names', () => {
  assert.equal(wxccDataCentre('api.wxcc-us1.cisco.com'), 'us1');
  assert.equal(wxccDataCentre('API.WXCC-EU2.CISCO.COM'), 'eu2');
  assert.equal(wxccDataCentre('desktop.wxcc-anz1.cisco.com'), 'anz1');
  assert.equal(wxccDataCentre('api.wxcc-us1.cisco.com.evil.example'), undefined);
  assert.equal(wxccDataCentre('example.com'), undefined);
});
