// Owns IP address and CIDR prefix parsing, canonical text forms and prefix arithmetic (pure).

export type Family = 4 | 6;

export interface Prefix {
  family: Family;
  /** Network address bytes (4 or 16), host bits cleared. */
  bytes: Uint8Array;
  prefixLen: number;
}

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Four decimal parts of 0-255 without leading zeros. One pass over the characters: policies may
 * carry tens of thousands of CIDRs, and this runs for each at validation and in the compiler.
 */
function parseIpv4(text: string, end = text.length): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  // The position after the last character reads as a dot, closing the fourth part.
  for (let i = 0; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (digits === 0 || part === 4) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      if (c < ZERO || c > NINE || (digits > 0 && value === 0)) return null;
      value = value * 10 + (c - ZERO);
      if (++digits > 3 || value > 255) return null;
    }
  }
  return part === 4 ? out : null;
}

/** A prefix length: decimal, no leading zero, at most three digits; -1 when it is not one. */
function parsePrefixLength(text: string, from: number): number {
  const digits = text.length - from;
  if (digits < 1 || digits > 3) return -1;
  let value = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < ZERO || c > NINE || (i > from && value === 0)) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

function parseIpv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  // An embedded IPv4 address may only stand in the last 32 bits: at the end of the whole text,
  // never before a `::` ("1.2.3.4::" is no address).
  const parseGroups = (s: string, last: boolean): number[] | null => {
    if (s === "") return [];
    const groups: number[] = [];
    const items = s.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (last && i === items.length - 1 && item.includes(".")) {
        const v4 = parseIpv4(item);
        if (!v4) return null;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return null;
        groups.push(Number.parseInt(item, 16));
      }
    }
    return groups;
  };
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (!head || !tail) return null;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return null;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Parses a textual IPv4 or IPv6 address; null when it is not one. Leading zeros in IPv4 are refused. */
export function parseIp(text: string): { family: Family; bytes: Uint8Array } | null {
  if (typeof text !== "string") return null;
  if (text.includes(":")) {
    const bytes = parseIpv6(text);
    return bytes ? { family: 6, bytes } : null;
  }
  const bytes = parseIpv4(text);
  return bytes ? { family: 4, bytes } : null;
}

/**
 * Parses `addr/len`. The result has host bits cleared; `hostBitsSet` tells whether the text had any
 * (Kubernetes accepts such CIDRs and uses the network they name).
 */
export function parseCidr(text: string): (Prefix & { hostBitsSet: boolean }) | null {
  if (typeof text !== "string") return null;
  const slash = text.indexOf("/");
  if (slash < 0) return null;
  const prefixLen = parsePrefixLength(text, slash + 1);
  if (prefixLen < 0) return null;
  // IPv4, the common case by far, is read in place: no substring, no second byte array.
  const colon = text.indexOf(":");
  if (colon < 0 || colon > slash) {
    const bytes = parseIpv4(text, slash);
    if (!bytes || prefixLen > 32) return null;
    const hostBitsSet = maskInPlace(bytes, prefixLen);
    return { family: 4, bytes, prefixLen, hostBitsSet };
  }
  const ip = parseIp(text.slice(0, slash));
  if (!ip || prefixLen > ip.bytes.length * 8) return null;
  const bytes = maskBytes(ip.bytes, prefixLen);
  const hostBitsSet = bytes.some((b, i) => b !== ip.bytes[i]);
  return { family: ip.family, bytes, prefixLen, hostBitsSet };
}

/** Clears the host bits of `bytes`; true when any was set. */
function maskInPlace(bytes: Uint8Array, prefixLen: number): boolean {
  let changed = false;
  for (let i = 0; i < bytes.length; i++) {
    const bits = prefixLen - i * 8;
    if (bits >= 8) continue;
    const masked = bits <= 0 ? 0 : bytes[i]! & ((0xff << (8 - bits)) & 0xff);
    if (masked !== bytes[i]) {
      bytes[i] = masked;
      changed = true;
    }
  }
  return changed;
}

function maskBytes(bytes: Uint8Array, prefixLen: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLen - i * 8));
    out[i] = bits === 0 ? 0 : bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as ::). */
export function formatIp(family: Family, bytes: Uint8Array): string {
  if (family === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

export function formatPrefix(p: Prefix): string {
  return `${formatIp(p.family, p.bytes)}/${p.prefixLen}`;
}

/** Canonical `addr/len` for a CIDR text, or null when it is not a CIDR. */
export function canonicalCidr(text: string): string | null {
  const p = parseCidr(text);
  if (!p) return null;
  // IPv4 text that parses has no leading zeros anywhere, so with no host bits set it is already
  // its canonical form: no need to format tens of thousands of excepts again.
  if (p.family === 4 && !p.hostBitsSet) return text;
  return formatPrefix(p);
}

/** The host prefix (/32 or /128) of an address text, canonical; null when it is not an address. */
export function hostPrefix(ipText: string): string | null {
  const ip = parseIp(ipText);
  if (!ip) return null;
  return formatPrefix({ family: ip.family, bytes: ip.bytes, prefixLen: ip.bytes.length * 8 });
}

/** True when prefix `outer` contains every address of `inner` (same family, shorter or equal length). */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.prefixLen > inner.prefixLen) return false;
  const full = outer.prefixLen >> 3;
  for (let i = 0; i < full; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rest = outer.prefixLen & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (outer.bytes[full]! & mask) === (inner.bytes[full]! & mask);
}

/** Parses a canonical or non-canonical prefix text, throwing on bad input (for already-validated data). */
export function mustParseCidr(text: string): Prefix {
  const p = parseCidr(text);
  if (!p) throw new TypeError(`not a CIDR prefix: ${JSON.stringify(text)}`);
  return p;
}
