// Owns reading the previous plugin's result (pure): the pod's host-side veth, which Palisade's
// programs attach to, and the pod's addresses, which become the endpoint's IPs.
import { formatIp, parseIp } from "../../wire/cidr.ts";
import { CNI_CODE, CniError } from "./errors.ts";

export interface PodAttachment {
  /** The host end of the pod's veth (its programs go here). */
  hostInterface: string;
  /** At most one IPv4 and one IPv6 address, canonical, without prefix length. */
  ips: string[];
}

interface ResultInterface {
  name: string;
  sandbox?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The attachment of the pod interface `ifName` described by `prevResult` (0.3.x to 1.x results):
 * the host interface is the one without a sandbox that is not a bridge (`isBridge` tells, for the
 * bridge plugin lists its bridge too); the addresses are those of the pod interface.
 */
export function readAttachment(
  prevResult: unknown,
  ifName: string,
  isBridge: (name: string) => boolean,
): PodAttachment {
  if (!isRecord(prevResult)) {
    throw new CniError(
      CNI_CODE.invalidConfig,
      "palisade is a chained plugin: the configuration has no prevResult",
      "list palisade after an interface plugin such as bridge (with host-local) in a conflist",
    );
  }
  const ifaces: ResultInterface[] = Array.isArray(prevResult.interfaces)
    ? prevResult.interfaces
        .filter(isRecord)
        .map((i) => ({ name: String(i.name ?? ""), ...(i.sandbox ? { sandbox: String(i.sandbox) } : {}) }))
    : [];
  const hostSide = ifaces.filter((i) => !i.sandbox && i.name !== "" && !isBridge(i.name));
  if (hostSide.length !== 1) {
    throw new CniError(
      CNI_CODE.invalidConfig,
      `prevResult must name exactly one host-side veth, found ${hostSide.length}`,
      `interfaces: ${ifaces.map((i) => i.name).join(", ") || "none"}; chain palisade after bridge or ptp`,
    );
  }
  const podIndex = ifaces.findIndex((i) => i.sandbox && i.name === ifName);
  const ips: string[] = [];
  const families = new Set<number>();
  for (const entry of Array.isArray(prevResult.ips) ? prevResult.ips.filter(isRecord) : []) {
    // An address names its interface by index; without one it belongs to the pod interface.
    if (typeof entry.interface === "number" && entry.interface !== podIndex) continue;
    const address = String(entry.address ?? "").split("/")[0] ?? "";
    const ip = parseIp(address);
    if (!ip || families.has(ip.family)) continue;
    families.add(ip.family);
    ips.push(formatIp(ip.family, ip.bytes));
  }
  if (ips.length === 0) {
    throw new CniError(
      CNI_CODE.invalidConfig,
      `prevResult gives pod interface ${ifName} no address`,
      "configure IPAM (e.g. host-local) in the interface plugin before palisade",
    );
  }
  return { hostInterface: hostSide[0]!.name, ips };
}
