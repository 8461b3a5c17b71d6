// The TypeScript twin of bpf/include/parsing.h: the same checks in the same order, so the model
// gives every malformed frame the reason the program gives it.
import { REASONS } from "../codecs/reasons.ts";

export interface ParsedPacket {
  /** 0 until an IP header was parsed. */
  family: 0 | 4 | 6;
  protocol: number;
  tcpFlags: number;
  icmpType: number;
  srcPort: number;
  dstPort: number;
  /** 16 bytes; IPv4 in the first 4. */
  srcAddr: Uint8Array;
  dstAddr: Uint8Array;
  /** Offset of the transport header in the frame (an ICMP error quotes a packet 8 bytes on). */
  l4Off: number;
  /** IPv4 identification of a fragment. */
  fragId: number;
  frag: number;
}

/** PAL_FRAG_*: not a fragment, the first one (with ports), a later one. */
export const FRAG = { NONE: 0, FIRST: 1, LATER: 2 } as const;

const IPPROTO = {
  HOPOPTS: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ROUTING: 43,
  FRAGMENT: 44,
  AH: 51,
  ICMPV6: 58,
  DSTOPTS: 60,
  SCTP: 132,
};
const IPV6_EXT_MAX = 4;

export function emptyPacket(): ParsedPacket {
  return {
    family: 4,
    protocol: 0,
    tcpFlags: 0,
    icmpType: 0,
    srcPort: 0,
    dstPort: 0,
    srcAddr: new Uint8Array(16),
    dstAddr: new Uint8Array(16),
    l4Off: 0,
    fragId: 0,
    frag: FRAG.NONE,
  };
}

function parseL4(f: Buffer, l4: number, p: ParsedPacket): number {
  const room = f.length - l4;
  switch (p.protocol) {
    case IPPROTO.TCP:
      if (room < 20 || f[l4 + 12]! >> 4 < 5) return REASONS.DROP_MALFORMED_L4;
      p.srcPort = f.readUInt16BE(l4);
      p.dstPort = f.readUInt16BE(l4 + 2);
      p.tcpFlags = f[l4 + 13]!;
      return 0;
    case IPPROTO.UDP:
    case IPPROTO.SCTP:
      if (room < (p.protocol === IPPROTO.UDP ? 8 : 12)) return REASONS.DROP_MALFORMED_L4;
      p.srcPort = f.readUInt16BE(l4);
      p.dstPort = f.readUInt16BE(l4 + 2);
      return 0;
    case IPPROTO.ICMP:
    case IPPROTO.ICMPV6: {
      if (room < 8) return REASONS.DROP_MALFORMED_L4;
      const t = f[l4]!;
      p.icmpType = t;
      const echo = p.protocol === IPPROTO.ICMP ? t === 0 || t === 8 : t === 128 || t === 129;
      if (echo) {
        p.srcPort = f.readUInt16BE(l4 + 4);
        p.dstPort = p.srcPort;
      }
      return 0;
    }
    default:
      return 0;
  }
}

function parseIpv4(f: Buffer, l3: number, p: ParsedPacket): number {
  if (f.length - l3 < 20 || f[l3]! >> 4 !== 4 || (f[l3]! & 0xf) < 5) return REASONS.DROP_MALFORMED_IPV4;
  const hl = (f[l3]! & 0xf) * 4;
  if (f.length - l3 < hl) return REASONS.DROP_MALFORMED_IPV4;
  p.family = 4;
  p.protocol = f[l3 + 9]!;
  p.srcAddr.set(f.subarray(l3 + 12, l3 + 16));
  p.dstAddr.set(f.subarray(l3 + 16, l3 + 20));
  const fragOff = f.readUInt16BE(l3 + 6);
  if (fragOff & 0x3fff) {
    p.fragId = f.readUInt16BE(l3 + 4);
    if (fragOff & 0x1fff) {
      p.frag = FRAG.LATER;
      return REASONS.DROP_FRAGMENT;
    }
    p.frag = FRAG.FIRST;
  }
  p.l4Off = l3 + hl;
  return parseL4(f, l3 + hl, p);
}

function parseIpv6(f: Buffer, l3: number, p: ParsedPacket): number {
  if (f.length - l3 < 40 || f[l3]! >> 4 !== 6) return REASONS.DROP_MALFORMED_IPV6;
  p.family = 6;
  p.srcAddr.set(f.subarray(l3 + 8, l3 + 24));
  p.dstAddr.set(f.subarray(l3 + 24, l3 + 40));
  let nh = f[l3 + 6]!;
  let cur = l3 + 40;
  for (let i = 0; i < IPV6_EXT_MAX; i++) {
    if (nh === IPPROTO.HOPOPTS || nh === IPPROTO.ROUTING || nh === IPPROTO.DSTOPTS || nh === IPPROTO.AH) {
      if (f.length - cur < 8) return REASONS.DROP_MALFORMED_IPV6;
      const len = nh === IPPROTO.AH ? (f[cur + 1]! + 2) * 4 : (f[cur + 1]! + 1) * 8;
      nh = f[cur]!;
      cur += len;
    } else if (nh === IPPROTO.FRAGMENT) {
      if (f.length - cur < 8) return REASONS.DROP_MALFORMED_IPV6;
      if (f.readUInt16BE(cur + 2) & 0xfff8) return REASONS.DROP_FRAGMENT;
      nh = f[cur]!;
      cur += 8;
    } else {
      p.protocol = nh;
      p.l4Off = cur;
      return parseL4(f, cur, p);
    }
  }
  return REASONS.DROP_IPV6_EXT_LIMIT;
}

/** 0 for an IP packet to decide on, a PASS_* reason for ARP/neighbour discovery, or a DROP_* reason. */
export function parseFrame(f: Buffer, p: ParsedPacket): number {
  if (f.length < 14) return REASONS.DROP_SHORT_ETHERNET;
  switch (f.readUInt16BE(12)) {
    case 0x0806:
      return REASONS.PASS_ARP;
    case 0x0800:
      return parseIpv4(f, 14, p);
    case 0x86dd: {
      const rc = parseIpv6(f, 14, p);
      if (rc === 0 && p.protocol === IPPROTO.ICMPV6 && p.icmpType >= 133 && p.icmpType <= 137) {
        return REASONS.PASS_NEIGHBOUR;
      }
      return rc;
    }
    default:
      return REASONS.DROP_UNSUPPORTED_L2;
  }
}
