// The TypeScript twin of bpf/include/conntrack_state.h: flow state transitions and lifetimes.
import { CT_FLAG, CT_STATE, CT_TIMEOUT, type CtValue } from "../codecs/conntrack.ts";
import type { ParsedPacket } from "./parse.ts";

const NS = 1_000_000_000n;
const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, ACK: 0x10 };

export function ctTimeoutNs(state: number, protocol: number): bigint {
  switch (state) {
    case CT_STATE.SYN_SENT:
      return BigInt(CT_TIMEOUT.SYN) * NS;
    case CT_STATE.ESTABLISHED:
      return BigInt(CT_TIMEOUT.ESTABLISHED) * NS;
    case CT_STATE.FIN:
      return BigInt(CT_TIMEOUT.FIN) * NS;
    case CT_STATE.CLOSE:
      return BigInt(CT_TIMEOUT.CLOSE) * NS;
    default:
      return BigInt(protocol === 1 || protocol === 58 ? CT_TIMEOUT.ICMP : CT_TIMEOUT.OTHER) * NS;
  }
}

export function ctInitialState(p: ParsedPacket): number {
  if (p.protocol !== 6) return CT_STATE.OTHER;
  if (p.tcpFlags & TCP.RST) return CT_STATE.CLOSE;
  if ((p.tcpFlags & (TCP.SYN | TCP.ACK)) === TCP.SYN) return CT_STATE.SYN_SENT;
  return CT_STATE.ESTABLISHED;
}

/**
 * Whether packet p on a tracked flow starts a new connection that policy must judge: a SYN without
 * ACK in the original direction, or in either direction once the flow has closed. Other packets on
 * a closed flow (last ACK, retransmitted FIN, RST) finish the close and keep passing.
 */
export function ctStartsConnection(v: CtValue, p: ParsedPacket, isOrigin: boolean): boolean {
  if (p.protocol !== 6 || (p.tcpFlags & (TCP.SYN | TCP.ACK)) !== TCP.SYN) return false;
  return isOrigin || v.state === CT_STATE.CLOSE;
}

/** Moves a tracked flow's state for packet p (isOrigin: same direction as the creating packet). */
export function ctAdvance(v: CtValue, p: ParsedPacket, isOrigin: boolean): void {
  if (p.protocol !== 6) return;
  const f = p.tcpFlags;
  if (f & TCP.RST) {
    v.state = CT_STATE.CLOSE;
    return;
  }
  // A SYN starting a new connection never gets here: it is judged (ctStartsConnection).
  if (f & TCP.FIN) {
    v.flags |= isOrigin ? CT_FLAG.FIN_ORIGIN : CT_FLAG.FIN_REPLY;
    const both = CT_FLAG.FIN_ORIGIN | CT_FLAG.FIN_REPLY;
    v.state = (v.flags & both) === both ? CT_STATE.CLOSE : CT_STATE.FIN;
    return;
  }
  if (v.state === CT_STATE.SYN_SENT && !isOrigin) v.state = CT_STATE.ESTABLISHED;
}
