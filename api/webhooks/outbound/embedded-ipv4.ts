// Owns where an IPv6 address carries an IPv4 one (pure): the transition and translation forms
// through which a packet sent to the IPv6 address is delivered to, or tunnelled through, an IPv4
// host. The destination check judges such an address by the IPv4 addresses listed here.

/** How an IPv6 address carries an IPv4 one. */
export type CarriedForm =
  | "IPv4-mapped"
  | "IPv4-compatible"
  | "IPv4-translated"
  | "NAT64"
  | "6to4"
  | "Teredo server"
  | "Teredo client";

export interface Carried {
  form: CarriedForm;
  ipv4: string;
}

const ipv4At = (b: Uint8Array, ...at: number[]) => at.map((i) => b[i]!).join(".");
const zero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
const startsWith = (b: Uint8Array, prefix: number[]) => prefix.every((x, i) => b[i] === x);

/**
 * Every IPv4 address the 16 bytes of an IPv6 address carry (none for a plain IPv6 address).
 * Several entries mean each one is a destination the packet may reach (Teredo's server and
 * client, or the positions a local-use NAT64 prefix may use); a check must refuse if any is refused.
 */
export function carriedIpv4(b: Uint8Array): Carried[] {
  if (b.length !== 16) return [];
  // ::ffff:a.b.c.d (RFC 4291): the IPv4 address itself on a dual-stack socket.
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff)
    return [{ form: "IPv4-mapped", ipv4: ipv4At(b, 12, 13, 14, 15) }];
  // ::a.b.c.d (deprecated, RFC 4291); :: and ::1 are IPv6's own unspecified and loopback addresses.
  if (zero(b, 0, 12)) {
    if (zero(b, 12, 15) && b[15]! <= 1) return [];
    return [{ form: "IPv4-compatible", ipv4: ipv4At(b, 12, 13, 14, 15) }];
  }
  // ::ffff:0:a.b.c.d (SIIT, RFC 6145).
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zero(b, 10, 12)) {
    return [{ form: "IPv4-translated", ipv4: ipv4At(b, 12, 13, 14, 15) }];
  }
  // 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052).
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b]) && zero(b, 4, 12)) {
    return [{ form: "NAT64", ipv4: ipv4At(b, 12, 13, 14, 15) }];
  }
  // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): the operator picks the prefix length, so judge
  // the /96 position always and the /64, /56 and /48 positions (RFC 6052 section 2.2, which skips
  // the reserved octet 8) whenever the address is well formed for them (octet 8 and suffix zero).
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01])) {
    const out: Carried[] = [{ form: "NAT64", ipv4: ipv4At(b, 12, 13, 14, 15) }];
    if (b[8] === 0) {
      if (zero(b, 13, 16)) out.push({ form: "NAT64", ipv4: ipv4At(b, 9, 10, 11, 12) });
      if (zero(b, 12, 16)) out.push({ form: "NAT64", ipv4: ipv4At(b, 7, 9, 10, 11) });
      if (zero(b, 11, 16)) out.push({ form: "NAT64", ipv4: ipv4At(b, 6, 7, 9, 10) });
    }
    return out;
  }
  // 2002::/16, 6to4 (RFC 3056): the relay's IPv4 address in bits 16-47.
  if (b[0] === 0x20 && b[1] === 0x02) return [{ form: "6to4", ipv4: ipv4At(b, 2, 3, 4, 5) }];
  // 2001::/32, Teredo (RFC 4380): the server in bits 32-63, the client (inverted) in bits 96-127.
  if (startsWith(b, [0x20, 0x01, 0x00, 0x00])) {
    const client = b.subarray(12, 16).map((x) => x ^ 0xff);
    return [
      { form: "Teredo server", ipv4: ipv4At(b, 4, 5, 6, 7) },
      { form: "Teredo client", ipv4: ipv4At(client, 0, 1, 2, 3) },
    ];
  }
  return [];
}
