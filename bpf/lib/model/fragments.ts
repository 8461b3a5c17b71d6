// The TypeScript twin of bpf/include/fragments.h: the first IPv4 fragment's ports per datagram,
// given back to later fragments (unbounded here; the kernel's map is an LRU of PAL_FRAGMENTS_MAX).
import { FRAG_TIMEOUT } from "../codecs/fragments.ts";
import { FRAG, type ParsedPacket } from "./parse.ts";

export class FragmentTable {
  readonly #ports = new Map<string, { expiresNs: bigint; srcPort: number; dstPort: number }>();

  /** pal_fragment: takes the parse result of p and returns the one to go on with. */
  track(p: ParsedPacket, parsed: number, nowNs: bigint): number {
    if (p.frag === FRAG.NONE || p.family !== 4) return parsed;
    const key = [
      Buffer.from(p.srcAddr.subarray(0, 4)).toString("hex"),
      Buffer.from(p.dstAddr.subarray(0, 4)).toString("hex"),
      p.fragId,
      p.protocol,
    ].join("/");
    if (p.frag === FRAG.FIRST) {
      if (parsed === 0) {
        const expiresNs = nowNs + BigInt(FRAG_TIMEOUT) * 1_000_000_000n;
        this.#ports.set(key, { expiresNs, srcPort: p.srcPort, dstPort: p.dstPort });
      }
      return parsed;
    }
    const v = this.#ports.get(key);
    if (!v || nowNs >= v.expiresNs) return parsed;
    p.srcPort = v.srcPort;
    p.dstPort = v.dstPort;
    return 0;
  }
}
