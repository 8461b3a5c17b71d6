// Owns the schemas for NetworkPolicy peers: ipBlock (CIDR and except) and selector peers.

import { z } from "zod";
import { type Prefix, parseCidr, parseIp, prefixContains } from "../../../wire/cidr.ts";
import { labelSelectorSchema } from "./labels.schema.ts";
import { maxItems, objectLimits } from "./object-limits.ts";
import { always, type Ctx, isAbsent, isRecord, report } from "./refinements.ts";

/** True for addresses in ::ffff:0:0/96, which Kubernetes' strict IP validation refuses. */
export function isIpv4MappedIpv6(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses a CIDR the way the validator accepts it: host bits may be set (Kubernetes accepts
 * `10.0.0.1/24` and means the network), IPv4-mapped IPv6 is refused. Reports and returns null
 * when the text is not acceptable.
 */
export function parseAcceptedCidr(ctx: Ctx, path: (string | number)[], value: unknown): Prefix | null {
  if (typeof value !== "string") return null;
  if (value === "") {
    report(ctx, path, "required", "is required (it is empty)", value);
    return null;
  }
  const prefix = parseCidr(value);
  if (!prefix) {
    report(ctx, path, "cidr", "must be a valid CIDR such as 10.9.8.0/24 or 2001:db8::/64", value);
    return null;
  }
  // Only an IPv6 text can be IPv4-mapped; its address is read unmasked (a short prefix clears the marker).
  const address = prefix.family === 6 ? parseIp(value.slice(0, value.indexOf("/"))) : null;
  if (address && isIpv4MappedIpv6(address.bytes)) {
    report(
      ctx,
      path,
      "ipv4_mapped_ipv6",
      "must not use an IPv4-mapped IPv6 address; write the IPv4 CIDR",
      value,
    );
    return null;
  }
  return prefix;
}

function checkIpBlock(block: unknown, ctx: Ctx): void {
  if (!isRecord(block)) return;
  const cidr = parseAcceptedCidr(ctx, ["cidr"], block.cidr);
  if (!Array.isArray(block.except)) return;
  block.except.forEach((text, i) => {
    const except = parseAcceptedCidr(ctx, ["except", i], text);
    if (!cidr || !except) return;
    if (!prefixContains(cidr, except) || except.prefixLen <= cidr.prefixLen) {
      report(
        ctx,
        ["except", i],
        "except_not_in_cidr",
        `must be a strict subset of cidr ${JSON.stringify(block.cidr)} (same address family, longer prefix)`,
        text,
      );
    }
  });
}

export const ipBlockSchema = z
  .strictObject({
    cidr: z.string().meta({ description: "A CIDR; host bits may be set and are cleared." }),
    except: z
      .array(z.string())
      .superRefine(maxItems(objectLimits.excepts, "too_many_excepts", "excepts"), always)
      .nullish()
      .meta({ description: "CIDRs strictly inside cidr.", maxItems: objectLimits.excepts }),
  })
  .superRefine(checkIpBlock, always);

function checkPeer(peer: unknown, ctx: Ctx): void {
  if (!isRecord(peer)) return;
  const hasIpBlock = !isAbsent(peer.ipBlock);
  const hasSelector = !isAbsent(peer.podSelector) || !isAbsent(peer.namespaceSelector);
  if (!hasIpBlock && !hasSelector) {
    report(ctx, [], "empty_peer", "must specify a peer: ipBlock, podSelector or namespaceSelector", peer);
  } else if (hasIpBlock && hasSelector) {
    report(
      ctx,
      [],
      "ip_block_with_selector",
      "may not specify both ipBlock and a podSelector or namespaceSelector (use two peers for OR)",
      peer,
    );
  }
}

/** One peer: ipBlock alone, or podSelector and/or namespaceSelector (both = AND). */
export const peerSchema = z
  .strictObject({
    podSelector: labelSelectorSchema.nullish(),
    namespaceSelector: labelSelectorSchema.nullish(),
    ipBlock: ipBlockSchema.nullish(),
  })
  .superRefine(checkPeer, always);

export type PeerInput = z.output<typeof peerSchema>;
