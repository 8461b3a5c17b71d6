// Owns the fixtures of the shared verdict cases: three endpoints, their addresses and identities,
// and short constructors for policy entries and packets.
import { type Direction, type PolicyEntry, PROTO } from "../../wire/entries.ts";
import type { EndpointValue } from "./codecs/endpoints.ts";
import { buildPacket, type PacketSpec, TCP_FLAGS } from "./testing/packet.ts";

export const IP = { A: "10.10.0.11", B: "10.10.0.12", C: "10.10.0.13", A6: "fd00:10::11", B6: "fd00:10::12" };
export const ID = { A: 1001, B: 1002, C: 1003, CIDR: 0x0100_0001 };

export function endpoint(
  id: number,
  identity: number,
  set: number,
  iso: { ingress?: boolean; egress?: boolean } = {},
): EndpointValue {
  return {
    endpointId: id,
    identity,
    policySetId: set,
    ingressIsolated: iso.ingress ?? false,
    egressIsolated: iso.egress ?? false,
    ingressPolicyId: iso.ingress ? 500 + id : 0,
    egressPolicyId: iso.egress ? 600 + id : 0,
  };
}

export const EP = {
  A: (iso?: { ingress?: boolean; egress?: boolean }) => endpoint(11, ID.A, 21, iso),
  B: (iso?: { ingress?: boolean; egress?: boolean }) => endpoint(12, ID.B, 22, iso),
  C: (iso?: { ingress?: boolean; egress?: boolean }) => endpoint(13, ID.C, 23, iso),
};

export const IPCACHE = [
  { prefix: `${IP.A}/32`, identity: ID.A, prefixIdentity: 0 },
  { prefix: `${IP.B}/32`, identity: ID.B, prefixIdentity: 0 },
  { prefix: `${IP.C}/32`, identity: ID.C, prefixIdentity: 0 },
  { prefix: `${IP.A6}/128`, identity: ID.A, prefixIdentity: 0 },
  { prefix: `${IP.B6}/128`, identity: ID.B, prefixIdentity: 0 },
];

export function allow(
  policySetId: number,
  direction: Direction,
  remoteIdentity: number,
  protocol: number,
  port = 0,
  portPrefixLen = protocol === PROTO.ANY || port === 0 ? 0 : 16,
  policyId = 7,
  ruleIndex = 0,
): PolicyEntry {
  return {
    policySetId,
    direction,
    remoteIdentity,
    protocol,
    port,
    portPrefixLen,
    verdict: "allow",
    policyId,
    ruleIndex,
  };
}

export function tcp(
  src: string,
  dst: string,
  srcPort: number,
  dstPort: number,
  tcpFlags: number = TCP_FLAGS.SYN,
): Buffer {
  return buildPacket({ src, dst, protocol: PROTO.TCP, srcPort, dstPort, tcpFlags });
}

export function udp(src: string, dst: string, srcPort: number, dstPort: number): Buffer {
  return buildPacket({ src, dst, protocol: PROTO.UDP, srcPort, dstPort, payload: 4 });
}

export function packet(p: PacketSpec): Buffer {
  return buildPacket(p);
}
