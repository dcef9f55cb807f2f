// Record → layers (link, IPv4/IPv6, TCP/UDP) into one reused DecodedPacket, gopacket-style: no allocation on the
// hot path except the payload view, addresses interned (ip-text.ts), truncation a flag and malformed headers a
// problem code, never an exception.
import { type CaptureRecord, type DecodedPacket, newDecodedPacket } from '../packet.ts';
import { ipv4Text, ipv6Text } from './ip-text.ts';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const EMPTY = new Uint8Array(0);
/** Most VLAN tags we walk through (QinQ is 2; more is a malformed or hostile frame). */
const MAX_VLAN_TAGS = 4;
/** Most IPv6 extension headers we walk through. */
const MAX_EXT_HEADERS = 16;

export { newDecodedPacket };

/** Decodes `rec` into `out` (reset first) and returns `out`. */
export function decodePacket(rec: CaptureRecord, out: DecodedPacket): DecodedPacket {
  out.record = rec;
  out.truncated = false;
  out.problem = '';
  out.l3 = 0;
  out.l4 = 0;
  out.fragment = false;
  out.srcPort = 0;
  out.dstPort = 0;
  out.ttl = 0;
  out.ipId = 0;
  out.payload = EMPTY;
  out.payloadLen = 0;
  const d = rec.data;
  const n = d.length;
  switch (rec.linkType) {
    case LINKTYPE_ETHERNET: {
      if (n < 14) return trunc(out);
      let type = (d[12] << 8) | d[13];
      let off = 14;
      for (let i = 0; i < MAX_VLAN_TAGS && (type === 0x8100 || type === 0x88a8 || type === 0x9100); i++) {
        if (n < off + 4) return trunc(out);
        type = (d[off + 2] << 8) | d[off + 3];
        off += 4;
      }
      return ethertype(d, off, type, out);
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (n < 4) return trunc(out);
      // NULL is in the capturing host's byte order, LOOP in network order; accept both for either.
      let af = ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
      if (af > 0xffff) af = (d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24)) >>> 0;
      if (af === 2) return ipv4(d, 4, out);
      if (af === 24 || af === 28 || af === 30 || af === 10 || af === 23) return ipv6(d, 4, out);
      return out;
    }
    case LINKTYPE_RAW: {
      if (n < 1) return trunc(out);
      const v = d[0] >> 4;
      if (v === 4) return ipv4(d, 0, out);
      if (v === 6) return ipv6(d, 0, out);
      out.problem = 'RAW_BAD_VERSION';
      return out;
    }
    case LINKTYPE_IPV4:
      return ipv4(d, 0, out);
    case LINKTYPE_IPV6:
      return ipv6(d, 0, out);
    case LINKTYPE_LINUX_SLL:
      if (n < 16) return trunc(out);
      return ethertype(d, 16, (d[14] << 8) | d[15], out);
    case LINKTYPE_LINUX_SLL2:
      if (n < 20) return trunc(out);
      return ethertype(d, 20, (d[0] << 8) | d[1], out);
    default:
      out.problem = 'LINK_UNSUPPORTED';
      return out;
  }
}

function trunc(out: DecodedPacket): DecodedPacket {
  out.truncated = true;
  return out;
}

/**
 * An IP length that claims more than the frame held on the wire (GSO/TSO super-packets, a padded or cut frame) is cut
 * to the frame, as Wireshark does ("IPv4 total length exceeds packet length"): those bytes were never sent in this
 * frame, so counting them would invent data and hide the next segment's gap. A snaplen cut is different: the frame
 * (origLen) did hold the bytes, they were just not saved, so the IP length stands.
 */
function clampToFrame(out: DecodedPacket, off: number, len: number): number {
  const wireLen = Math.max(out.record.origLen, out.record.data.length);
  if (off + len <= wireLen) return len;
  out.problem = 'IP_LENGTH_EXCEEDS_FRAME';
  return Math.max(0, wireLen - off);
}

function ethertype(d: Uint8Array, off: number, type: number, out: DecodedPacket): DecodedPacket {
  if (type === ETH_IPV4) return ipv4(d, off, out);
  if (type === ETH_IPV6) return ipv6(d, off, out);
  return out; // ARP, LLDP, 802.3 length field…: not IP, not a problem.
}

function ipv4(d: Uint8Array, off: number, out: DecodedPacket): DecodedPacket {
  const n = d.length;
  if (n < off + 20) return trunc(out);
  if (d[off] >> 4 !== 4) {
    out.problem = 'IPV4_BAD_VERSION';
    return out;
  }
  const ihl = (d[off] & 0x0f) * 4;
  if (ihl < 20) {
    out.problem = 'IPV4_BAD_IHL';
    return out;
  }
  if (n < off + ihl) return trunc(out);
  let total = (d[off + 2] << 8) | d[off + 3];
  // Total length 0 is what TSO-offloaded outgoing packets show in captures: use what was captured.
  if (total === 0) total = n - off;
  if (total < ihl) {
    out.problem = 'IPV4_BAD_LENGTH';
    return out;
  }
  total = clampToFrame(out, off, total);
  out.l3 = 4;
  out.ipId = (d[off + 4] << 8) | d[off + 5];
  const frag = (d[off + 6] << 8) | d[off + 7];
  out.ttl = d[off + 8];
  const proto = d[off + 9];
  out.srcIp = out.srcIp4Of = ipv4Text(d, off + 12);
  out.dstIp = out.dstIp4Of = ipv4Text(d, off + 16);
  out.srcIp4 = (d[off + 12] << 24) | (d[off + 13] << 16) | (d[off + 14] << 8) | d[off + 15];
  out.dstIp4 = (d[off + 16] << 24) | (d[off + 17] << 16) | (d[off + 18] << 8) | d[off + 19];
  const fragOffset = frag & 0x1fff;
  out.fragment = (frag & 0x2000) !== 0 || fragOffset !== 0;
  if (fragOffset !== 0) {
    // Non-first fragment: the bytes are the middle of an L4 payload, not a header.
    out.payload = d.subarray(Math.min(n, off + ihl), Math.min(n, off + total));
    out.payloadLen = total - ihl;
    if (out.payload.length < out.payloadLen) out.truncated = true;
    return out;
  }
  return l4(d, off + ihl, off + total, proto, out);
}

function ipv6(d: Uint8Array, off: number, out: DecodedPacket): DecodedPacket {
  const n = d.length;
  if (n < off + 40) return trunc(out);
  if (d[off] >> 4 !== 6) {
    out.problem = 'IPV6_BAD_VERSION';
    return out;
  }
  let plen = (d[off + 4] << 8) | d[off + 5];
  // Payload length 0 = jumbogram (or TSO/GSO capture): use what was captured.
  if (plen === 0) plen = n - off - 40;
  plen = clampToFrame(out, off + 40, plen);
  let next = d[off + 6];
  out.l3 = 6;
  out.ttl = d[off + 7];
  out.srcIp = ipv6Text(d, off + 8);
  out.dstIp = ipv6Text(d, off + 24);
  const end = off + 40 + plen;
  let at = off + 40;
  for (let i = 0; i < MAX_EXT_HEADERS; i++) {
    if (next === 0 || next === 43 || next === 60 || next === 51 || next === 44) {
      if (n < at + 8) return trunc(out);
      if (at + 8 > end) {
        out.problem = 'IPV6_BAD_EXTENSION';
        return out;
      }
      let len: number;
      if (next === 44) {
        len = 8;
        out.fragment = true;
        const fragOffset = ((d[at + 2] << 8) | d[at + 3]) >> 3;
        if (fragOffset !== 0) {
          out.payload = d.subarray(Math.min(n, at + 8), Math.min(n, end));
          out.payloadLen = end - at - 8;
          if (out.payload.length < out.payloadLen) out.truncated = true;
          return out;
        }
      } else if (next === 51) len = (d[at + 1] + 2) * 4;
      else len = (d[at + 1] + 1) * 8;
      next = d[at];
      at += len;
      if (at > end) {
        out.problem = 'IPV6_BAD_EXTENSION';
        return out;
      }
      continue;
    }
    if (next === 59) return out; // No next header.
    return l4(d, at, end, next, out);
  }
  out.problem = 'IPV6_TOO_MANY_EXTENSIONS';
  return out;
}

/** L4 header at d[at], L4 segment ends at `end` per the IP header (may be beyond the captured bytes). */
function l4(d: Uint8Array, at: number, end: number, proto: number, out: DecodedPacket): DecodedPacket {
  const n = d.length;
  const capEnd = Math.min(end, n);
  if (proto === 6) {
    if (end < at + 20) {
      out.problem = 'TCP_BAD_LENGTH';
      return out;
    }
    if (n < at + 20) return trunc(out);
    const hl = (d[at + 12] >> 4) * 4;
    if (hl < 20 || at + hl > end) {
      out.problem = 'TCP_BAD_HDRLEN';
      return out;
    }
    if (n < at + hl) return trunc(out);
    out.l4 = 6;
    out.srcPort = (d[at] << 8) | d[at + 1];
    out.dstPort = (d[at + 2] << 8) | d[at + 3];
    const t = out.tcp;
    t.seq = ((d[at + 4] << 24) | (d[at + 5] << 16) | (d[at + 6] << 8) | d[at + 7]) >>> 0;
    t.ack = ((d[at + 8] << 24) | (d[at + 9] << 16) | (d[at + 10] << 8) | d[at + 11]) >>> 0;
    t.flags = d[at + 13];
    t.window = (d[at + 14] << 8) | d[at + 15];
    t.hdrLen = hl;
    t.urgent = (d[at + 18] << 8) | d[at + 19];
    t.mss = -1;
    t.wscale = -1;
    t.sackPermitted = false;
    t.sack.length = 0;
    t.tsval = 0;
    t.tsecr = 0;
    t.hasTs = false;
    if (hl > 20) tcpOptions(d, at + 20, at + hl, out);
    // Pure ACKs (half the packets of a bulk transfer) get the shared empty view: no allocation.
    out.payload = at + hl < capEnd ? d.subarray(at + hl, capEnd) : EMPTY;
    out.payloadLen = end - at - hl;
    if (out.payload.length < out.payloadLen) out.truncated = true;
    return out;
  }
  if (proto === 17) {
    if (n < at + 8) return trunc(out);
    if (end < at + 8) {
      out.problem = 'UDP_BAD_LENGTH';
      return out;
    }
    out.l4 = 17;
    out.srcPort = (d[at] << 8) | d[at + 1];
    out.dstPort = (d[at + 2] << 8) | d[at + 3];
    out.payload = at + 8 < capEnd ? d.subarray(at + 8, capEnd) : EMPTY;
    out.payloadLen = end - at - 8;
    if (out.payload.length < out.payloadLen) out.truncated = true;
    return out;
  }
  out.l4 = proto;
  out.payload = at < capEnd ? d.subarray(at, capEnd) : EMPTY;
  out.payloadLen = end - at;
  if (out.payload.length < out.payloadLen) out.truncated = true;
  return out;
}

function tcpOptions(d: Uint8Array, at: number, end: number, out: DecodedPacket): void {
  const t = out.tcp;
  while (at < end) {
    const kind = d[at];
    if (kind === 0) return; // End of option list.
    if (kind === 1) {
      at++;
      continue;
    }
    if (at + 1 >= end) {
      out.problem = 'TCP_BAD_OPTION';
      return;
    }
    const len = d[at + 1];
    if (len < 2 || at + len > end) {
      out.problem = 'TCP_BAD_OPTION';
      return;
    }
    switch (kind) {
      case 2:
        if (len === 4) t.mss = (d[at + 2] << 8) | d[at + 3];
        break;
      case 3:
        if (len === 3) t.wscale = d[at + 2];
        break;
      case 4:
        t.sackPermitted = true;
        break;
      case 5:
        for (let o = at + 2; o + 8 <= at + len; o += 8) {
          t.sack.push(
            ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0,
            ((d[o + 4] << 24) | (d[o + 5] << 16) | (d[o + 6] << 8) | d[o + 7]) >>> 0,
          );
        }
        break;
      case 8:
        if (len === 10) {
          t.hasTs = true;
          t.tsval = ((d[at + 2] << 24) | (d[at + 3] << 16) | (d[at + 4] << 8) | d[at + 5]) >>> 0;
          t.tsecr = ((d[at + 6] << 24) | (d[at + 7] << 16) | (d[at + 8] << 8) | d[at + 9]) >>> 0;
        }
        break;
      default:
        break;
    }
    at += len;
  }
}
