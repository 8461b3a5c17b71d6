// Owns where deliveries may go: classifies resolved addresses (cloud metadata never, link-local
// and other non-public ranges only when the operator allows their network) and a DNS lookup that
// applies the same check to the address the socket actually connects to (no DNS rebinding).
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/** Cloud instance metadata services: refused whatever the configuration says. */
const METADATA = ["169.254.169.254/32", "fd00:ec2::254/128", "169.254.170.2/32", "100.100.100.200/32"];

/** Link-local: refused unless an allowed network covers the address. */
const LINK_LOCAL = ["169.254.0.0/16", "fe80::/10"];

/** Other non-public ranges (loopback, private, shared, reserved, multicast, NAT64, ...). */
const NON_PUBLIC = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "64:ff9b::/96",
  "100::/64",
  "2001:db8::/32",
  "fc00::/7",
  "ff00::/8",
];

export type AddressVerdict =
  | { allowed: true }
  | { allowed: false; reason: "metadata" | "link_local" | "non_public"; address: string };

function blockList(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = parseCidr(cidr);
    list.addSubnet(net, bits, isIP(net) === 6 ? "ipv6" : "ipv4");
  }
  return list;
}

/** `[address, prefix]` of a CIDR (a bare address is a /32 or /128); throws naming the value. */
export function parseCidr(cidr: string): [string, number] {
  const [net = "", bitsText] = cidr.trim().split("/");
  const family = isIP(net);
  const max = family === 6 ? 128 : 32;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > max || bitsText === "") {
    throw new Error(
      `an allowed network must be a CIDR such as 10.0.0.0/8 or fd00::/8; got ${JSON.stringify(cidr)}`,
    );
  }
  return [net, bits];
}

/** Parses `PALISADE_WEBHOOK_ALLOW_NETWORKS`-style text: comma-separated CIDRs, blanks ignored. */
export function parseAllowNetworks(text: string | undefined): string[] {
  if (!text) return [];
  const list = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const cidr of list) parseCidr(cidr);
  return list;
}

/** `::ffff:10.0.0.1` is 10.0.0.1: check the IPv4 address an IPv4-mapped IPv6 one stands for. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

export class DestinationPolicy {
  private readonly metadata = blockList(METADATA);
  private readonly linkLocal = blockList(LINK_LOCAL);
  private readonly nonPublic = blockList(NON_PUBLIC);
  private readonly allowed: BlockList;

  constructor(readonly allowNetworks: string[] = []) {
    this.allowed = blockList(allowNetworks);
  }

  check(rawAddress: string): AddressVerdict {
    const address = unmapped(rawAddress);
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (this.metadata.check(address, type)) return { allowed: false, reason: "metadata", address };
    if (this.allowed.check(address, type)) return { allowed: true };
    if (this.linkLocal.check(address, type)) return { allowed: false, reason: "link_local", address };
    if (this.nonPublic.check(address, type)) return { allowed: false, reason: "non_public", address };
    return { allowed: true };
  }
}

export class DestinationRefused extends Error {
  readonly code = "webhook.destination_refused";
  constructor(
    readonly host: string,
    readonly verdict: Exclude<AddressVerdict, { allowed: true }>,
  ) {
    const why = {
      metadata: "a cloud metadata address",
      link_local: "a link-local address",
      non_public: "a loopback, private or reserved address",
    }[verdict.reason];
    const hint =
      verdict.reason === "metadata"
        ? " (never allowed)"
        : "; allow its network with PALISADE_WEBHOOK_ALLOW_NETWORKS";
    super(`${host} resolves to ${verdict.address}, ${why}${hint}`);
    this.name = "DestinationRefused";
  }
}

/** Resolves a host to every address it has (an IP literal resolves to itself). */
export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) => {
    if (isIP(host)) return resolve([host]);
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    );
  });

/** Throws DestinationRefused when any address of the URL's host is refused. */
export async function checkDestination(
  url: URL,
  policy: DestinationPolicy,
  resolve: Resolve,
): Promise<string[]> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = await resolve(host);
  if (addresses.length === 0) throw new Error(`${host} has no address`);
  for (const address of addresses) {
    const verdict = policy.check(address);
    if (!verdict.allowed) throw new DestinationRefused(host, verdict);
  }
  return addresses;
}

/**
 * A `lookup` for http.request that resolves with `resolve` and refuses a forbidden address, so the
 * check holds for the very address the socket connects to.
 */
export function checkedLookup(policy: DestinationPolicy, resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const wanted = typeof options === "object" && options.family ? options.family : 0;
        const usable = addresses.filter((a) => wanted === 0 || isIP(a) === wanted);
        for (const address of usable) {
          const verdict = policy.check(address);
          if (!verdict.allowed) return callback(new DestinationRefused(hostname, verdict), "", 0);
        }
        const first = usable[0];
        if (first === undefined) return callback(new Error(`${hostname} has no usable address`), "", 0);
        if (typeof options === "object" && options.all) {
          // biome-ignore lint/suspicious/noExplicitAny: node's overloads differ only in the callback shape
          return (callback as any)(
            null,
            usable.map((a) => ({ address: a, family: isIP(a) })),
          );
        }
        callback(null, first, isIP(first));
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, "", 0),
    );
  };
}
