// Real captures (tcpdump -i lo / -i any, dumpcap) decode end to end: link types 1 and 276, TCP payloads intact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePacket } from '../../../src/capture/decode/decode-packet.ts';
import { openCapture } from '../../../src/capture/open-capture.ts';
import { newDecodedPacket, TCP_SYN } from '../../../src/capture/packet.ts';

const FIX = new URL('../../fixtures/capture/', import.meta.url).pathname;

describe('fixtures decode', () => {
  for (const [file, linkType, format] of [
    ['lo-echo.pcap', 1, 'pcap'],
    ['lo-echo.pcapng', 1, 'pcapng'],
    ['any-echo-ns.pcap', 276, 'pcap-ns'],
  ] as const) {
    it(`${file}: every frame decodes to IPv4 TCP/UDP; the session's bytes are there`, async () => {
      const src = await openCapture(FIX + file);
      const pkt = newDecodedPacket();
      let tcpText = '';
      let syns = 0;
      let udp = 0;
      let frames = 0;
      await src.forEachRecord((r) => {
        frames++;
        assert.equal(r.linkType, linkType);
        decodePacket(r, pkt);
        assert.equal(pkt.problem, '');
        assert.equal(pkt.truncated, false);
        assert.equal(pkt.l3, 4);
        assert.equal(pkt.srcIp, '127.0.0.1');
        if (pkt.l4 === 6) {
          if (pkt.tcp.flags & TCP_SYN) syns++;
          tcpText += new TextDecoder().decode(pkt.payload);
        } else {
          assert.equal(pkt.l4, 17);
          assert.equal(new TextDecoder().decode(pkt.payload), 'ping');
          udp++;
        }
      });
      assert.equal(src.format, format);
      assert.equal(frames, 13);
      assert.equal(syns, 2);
      assert.equal(udp, 1);
      assert.match(tcpText, /\{"keepalive":"true"\}/);
    });
  }
});
