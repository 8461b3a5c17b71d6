// Owns the test packet builder: Ethernet frames with IPv4/IPv6 and TCP/UDP/SCTP/ICMP/ICMPv6
// headers (checksums are left zero: the programs never verify them).
import { parseIp } from "../../../wire/cidr.ts";

export const ETH_P = { IPV4: 0x0800, IPV6: 0x86dd, ARP: 0x0806, VLAN: 0x8100 } as const;
export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface PacketSpec {
  src: string;
  dst: string;
  /** IANA protocol number. */
  protocol: number;
  srcPort?: number;
  dstPort?: number;
  /** TCP flags; default SYN. */
  tcpFlags?: number;
  /** ICMP/ICMPv6 type and echo id. */
  icmpType?: number;
  icmpId?: number;
  payload?: number;
  /** IPv4 fragment offset in 8-byte units (non-zero = non-first fragment). */
  fragmentOffset?: number;
  /** IPv4 "more fragments" flag and identification. */
  moreFragments?: boolean;
  fragmentId?: number;
  /** ICMP errors: the packet quoted after the ICMP header (its IP header and 8 bytes on). */
  quote?: PacketSpec;
}

function ethernet(ethertype: number): Buffer {
  const b = Buffer.alloc(14);
  Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]).copy(b, 0);
  b.writeUInt16BE(ethertype, 12);
  return b;
}

function transport(p: PacketSpec): Buffer {
  const payload = Buffer.alloc(p.payload ?? 0);
  switch (p.protocol) {
    case 6: {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(p.srcPort ?? 0, 0);
      h.writeUInt16BE(p.dstPort ?? 0, 2);
      h[12] = 5 << 4;
      h[13] = p.tcpFlags ?? TCP_FLAGS.SYN;
      h.writeUInt16BE(65535, 14);
      return Buffer.concat([h, payload]);
    }
    case 17:
    case 132: {
      const h = Buffer.alloc(p.protocol === 17 ? 8 : 12);
      h.writeUInt16BE(p.srcPort ?? 0, 0);
      h.writeUInt16BE(p.dstPort ?? 0, 2);
      if (p.protocol === 17) h.writeUInt16BE(8 + payload.length, 4);
      return Buffer.concat([h, payload]);
    }
    case 1:
    case 58: {
      const h = Buffer.alloc(8);
      h[0] = p.icmpType ?? (p.protocol === 1 ? 8 : 128);
      h.writeUInt16BE(p.icmpId ?? 0, 4);
      return Buffer.concat([h, p.quote ? quoted(p.quote) : payload]);
    }
    default:
      return payload;
  }
}

/** What an ICMP error quotes of packet q: its IP header and the first 8 bytes after it. */
function quoted(q: PacketSpec): Buffer {
  const ip = buildPacket(q).subarray(14);
  const hl = ip[0]! >> 4 === 4 ? (ip[0]! & 0xf) * 4 : 40;
  return Buffer.from(ip.subarray(0, hl + 8));
}

/** An Ethernet frame carrying the packet described by `p`. */
export function buildPacket(p: PacketSpec): Buffer {
  const src = parseIp(p.src);
  const dst = parseIp(p.dst);
  if (!src || !dst || src.family !== dst.family) throw new TypeError(`bad addresses ${p.src} -> ${p.dst}`);
  const l4 = transport(p);
  if (src.family === 4) {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + l4.length, 2);
    ip.writeUInt16BE(p.fragmentId ?? 0, 4);
    ip.writeUInt16BE((p.moreFragments ? 0x2000 : 0) | ((p.fragmentOffset ?? 0) & 0x1fff), 6);
    ip[8] = 64;
    ip[9] = p.protocol;
    Buffer.from(src.bytes).copy(ip, 12);
    Buffer.from(dst.bytes).copy(ip, 16);
    return Buffer.concat([ethernet(ETH_P.IPV4), ip, l4]);
  }
  const ip6 = Buffer.alloc(40);
  ip6[0] = 0x60;
  ip6.writeUInt16BE(l4.length, 4);
  ip6[6] = p.protocol;
  ip6[7] = 64;
  Buffer.from(src.bytes).copy(ip6, 8);
  Buffer.from(dst.bytes).copy(ip6, 24);
  return Buffer.concat([ethernet(ETH_P.IPV6), ip6, l4]);
}

/** An Ethernet frame with an arbitrary ethertype and body (ARP, VLAN, truncated headers). */
export function rawFrame(ethertype: number, body: Buffer | number[]): Buffer {
  return Buffer.concat([ethernet(ethertype), Buffer.from(body)]);
}

/** The reply to `p`: addresses and ports swapped. */
export function reverse(p: PacketSpec): PacketSpec {
  return { ...p, src: p.dst, dst: p.src, srcPort: p.dstPort, dstPort: p.srcPort };
}
