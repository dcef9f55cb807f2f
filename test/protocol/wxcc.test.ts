import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  apiHost,
  DATA_CENTRES,
  desktopHost,
  isWxccApiHost,
  knownDataCentre,
  wxccDataCentre,
} from '../../src/protocol/wxcc.ts';

test('the known data centres, and their hosts', () => {
  assert.deepEqual([...DATA_CENTRES], ['us1', 'eu1', 'eu2', 'anz1', 'ca1', 'jp1', 'sg1', 'in1']);
  assert.equal(knownDataCentre(' EU2 '), 'eu2');
  for (const bad of ['us', 'xx9', 'us1;rm', '', 'api.wxcc-us1.cisco.com'])
    assert.equal(knownDataCentre(bad), undefined);
  assert.equal(apiHost('ANZ1'), 'api.wxcc-anz1.cisco.com');
  assert.equal(desktopHost('jp1'), 'desktop.wxcc-jp1.cisco.com');
});

test('WxCC hosts are recognised by shape (a data centre added later still counts), never by a suffix trick', () => {
  assert.equal(wxccDataCentre('API.WXCC-EU2.CISCO.COM'), 'eu2');
  assert.equal(wxccDataCentre('desktop.wxcc-zz7.cisco.com'), 'zz7');
  assert.equal(wxccDataCentre('api.wxcc-us1.cisco.com.evil.example'), undefined);
  assert.equal(isWxccApiHost('api.wxcc-us1.cisco.com'), true);
  assert.equal(isWxccApiHost('desktop.wxcc-us1.cisco.com'), false);
  assert.equal(isWxccApiHost('api.wxcc-us1.cisco.com.evil.example'), false);
});
