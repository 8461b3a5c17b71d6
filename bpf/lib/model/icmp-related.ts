// The TypeScript twin of bpf/include/icmp_related.h: which ICMP errors quote a packet, and the
// flow of the quoted packet.
import { emptyPacket, type ParsedPacket } from "./parse.ts";

const PULL_LEN = 128;

export function icmpIsError(p: ParsedPacket): boolean {
  const t = p.icmpType;
  if (p.protocol === 1) return t === 3 || t === 11 || t === 12;
  if (p.protocol === 58) return t >= 1 && t <= 4;
  return false;
}

/** pal_icmp_quoted: the packet ICMP error p quotes, or undefined when it names no trackable flow. */
export function icmpQuoted(f: Buffer, p: ParsedPacket): ParsedPacket | undefined {
  if (p.l4Off > PULL_LEN) return undefined;
  const l3 = p.l4Off + 8;
  const q = emptyPacket();
  let l4: number;
  if (p.family === 4) {
    if (f.length - l3 < 20 || f[l3]! >> 4 !== 4 || (f[l3]! & 0xf) < 5) return undefined;
    if (f.readUInt16BE(l3 + 6) & 0x1fff) return undefined;
    q.family = 4;
    q.protocol = f[l3 + 9]!;
    q.srcAddr.set(f.subarray(l3 + 12, l3 + 16));
    q.dstAddr.set(f.subarray(l3 + 16, l3 + 20));
    l4 = l3 + (f[l3]! & 0xf) * 4;
  } else {
    if (f.length - l3 < 40 || f[l3]! >> 4 !== 6) return undefined;
    q.family = 6;
    q.protocol = f[l3 + 6]!;
    q.srcAddr.set(f.subarray(l3 + 8, l3 + 24));
    q.dstAddr.set(f.subarray(l3 + 24, l3 + 40));
    l4 = l3 + 40;
  }
  switch (q.protocol) {
    case 6:
    case 17:
    case 132:
      if (f.length - l4 < 4) return undefined;
      q.srcPort = f.readUInt16BE(l4);
      q.dstPort = f.readUInt16BE(l4 + 2);
      return q;
    case 1:
    case 58: {
      if (f.length - l4 < 8) return undefined;
      const t = f[l4]!;
      const echo = q.protocol === 1 ? t === 0 || t === 8 : t === 128 || t === 129;
      if (!echo || q.protocol !== (q.family === 4 ? 1 : 58)) return undefined;
      q.srcPort = f.readUInt16BE(l4 + 4);
      q.dstPort = q.srcPort;
      return q;
    }
    default:
      return undefined;
  }
}
