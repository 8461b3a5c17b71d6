// Owns where deliveries may go: classifies resolved addresses (cloud metadata never, link-local
// and other non-public ranges only when the operator allows their network; an IPv6 address that
// carries an IPv4 one is judged by that IPv4 address) and a DNS lookup that applies the same check
// to the address the socket actually connects to (no DNS rebinding).
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { parseIp } from "../../../wire/cidr.ts";
import { type CarriedForm, carriedIpv4 } from "./embedded-ipv4.ts";

/** Cloud instance metadata services: refused whatever the configuration says. */
const METADATA = ["169.254.169.254/32", "fd00:ec2::254/128", "169.254.170.2/32", "100.100.100.200/32"];

/** Link-local: refused unless an allowed network covers the address. */
const LINK_LOCAL = ["169.254.0.0/16", "fe80::/10"];

/**
 * Other non-public ranges (loopback, private, shared, reserved, multicast, the 6to4 relay anycast,
 * ...). NAT64, 6to4 and Teredo addresses are judged by the IPv4 address they carry instead.
 */
const NON_PUBLIC = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
  "::/128",
  "::1/128",
  "100::/64",
  "2001:db8::/32",
  "fc00::/7",
  "ff00::/8",
];

/**
 * Why an address is refused. `tunnelled_link_local` is a link-local IPv4 address carried by a
 * tunnel or translation form (IPv4-compatible, translated, NAT64, 6to4, Teredo): refused whatever
 * the allowed networks, as metadata is, since nothing legitimate is reached at a link-local
 * address through a translator or relay and that is where metadata services live.
 */
export type RefusalReason = "metadata" | "link_local" | "non_public" | "tunnelled_link_local";

export type AddressVerdict =
  | { allowed: true }
  | {
      allowed: false;
      reason: RefusalReason;
      /** The address judged: the IPv4 address carried, when `carriedBy` is set. */
      address: string;
      /** The IPv6 address that carries `address`, and how. */
      carriedBy?: { address: string; form: CarriedForm };
    };

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

/** Which refusal a message names when an address carries several refused ones. */
const SEVERITY: Record<RefusalReason, number> = {
  non_public: 0,
  link_local: 1,
  tunnelled_link_local: 2,
  metadata: 3,
};

/**
 * The allowed networks split by family. An IPv4-mapped entry (`::ffff:10.0.0.0/104`) allows the
 * IPv4 network it maps; any other IPv6 entry allows IPv6 addresses only.
 */
function allowLists(cidrs: string[]): { ipv4: BlockList; ipv6: BlockList } {
  const ipv4 = new BlockList();
  const ipv6 = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = parseCidr(cidr);
    const parsed = parseIp(net);
    const mapped = parsed?.family === 6 && bits >= 96 ? carriedIpv4(parsed.bytes)[0] : undefined;
    if (isIP(net) === 4) ipv4.addSubnet(net, bits, "ipv4");
    else if (mapped?.form === "IPv4-mapped") ipv4.addSubnet(mapped.ipv4, bits - 96, "ipv4");
    else ipv6.addSubnet(net, bits, "ipv6");
  }
  return { ipv4, ipv6 };
}

export class DestinationPolicy {
  private readonly metadata = blockList(METADATA);
  private readonly linkLocal = blockList(LINK_LOCAL);
  private readonly nonPublic = blockList(NON_PUBLIC);
  private readonly allowed: { ipv4: BlockList; ipv6: BlockList };

  constructor(readonly allowNetworks: string[] = []) {
    this.allowed = allowLists(allowNetworks);
  }

  /**
   * The verdict on one resolved address. An IPv6 address that carries IPv4 ones (embedded-ipv4.ts)
   * is allowed only when every IPv4 address it carries is: an allowed IPv6 network does not open
   * them (`::/0` does not make `64:ff9b::7f00:1` reachable; allowing `127.0.0.0/8` does).
   */
  check(rawAddress: string): AddressVerdict {
    // A scoped address (`fe80::1%eth0`) carries its zone after `%`: the bytes come before it.
    const parsed = parseIp(rawAddress.replace(/%.*$/, ""));
    const carried = parsed?.family === 6 ? carriedIpv4(parsed.bytes) : [];
    if (carried.length === 0) return this.judge(rawAddress, false);
    let worst: AddressVerdict = { allowed: true };
    for (const { form, ipv4 } of carried) {
      // A mapped address is the IPv4 address itself; every other form tunnels or translates.
      const verdict = this.judge(ipv4, form !== "IPv4-mapped");
      if (!verdict.allowed && (worst.allowed || SEVERITY[verdict.reason] > SEVERITY[worst.reason])) {
        worst = { ...verdict, carriedBy: { address: rawAddress, form } };
      }
    }
    return worst;
  }

  private judge(address: string, tunnelled: boolean): AddressVerdict {
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (this.metadata.check(address, type)) return { allowed: false, reason: "metadata", address };
    if (tunnelled && this.linkLocal.check(address, type)) {
      return { allowed: false, reason: "tunnelled_link_local", address };
    }
    // Family by family: node's BlockList would let an IPv6 rule such as ::/0 cover every IPv4 address.
    if (this.allowed[type].check(address, type)) return { allowed: true };
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
      tunnelled_link_local: "a link-local address behind a tunnel or translator",
    }[verdict.reason];
    const hint =
      verdict.reason === "metadata" || verdict.reason === "tunnelled_link_local"
        ? " (never allowed)"
        : "; allow its network with PALISADE_WEBHOOK_ALLOW_NETWORKS";
    const by = verdict.carriedBy;
    const what = by ? `${by.address}, which carries ${verdict.address} (${by.form})` : verdict.address;
    super(`${host} resolves to ${what}, ${why}${hint}`);
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
