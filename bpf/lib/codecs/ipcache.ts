// Mirrors bpf/include/ipcache.h (the owner): LPM key {prefixlen, family, pad, addr[16]} and value
// {identity, prefix_identity}.
import { formatPrefix, mustParseCidr } from "../../../wire/cidr.ts";
import type { IpcacheEntry } from "../../../wire/entries.ts";
import { readU32, type StructLayout, writeU32 } from "./layout.ts";

export const IPCACHE_KEY_LAYOUT: StructLayout = {
  struct: "pal_ipcache_key",
  size: 24,
  fields: { prefixlen: [0, 4], family: [4, 1], addr: [8, 16] },
};
export const IPCACHE_VALUE_LAYOUT: StructLayout = {
  struct: "pal_ipcache_value",
  size: 8,
  fields: { identity: [0, 4], prefix_identity: [4, 4] },
};
/** Bits of family + pad matched before the address (PAL_IPCACHE_PREFIX_BASE). */
export const IPCACHE_PREFIX_BASE = 32;

/** Fast path for canonical "a.b.c.d/len" (what the compiler emits); null for anything else. */
function parseIpv4Prefix(text: string): { bytes: number[]; prefixLen: number } | null {
  const bytes = [0, 0, 0, 0];
  let part = 0;
  let value = 0;
  let digits = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch >= 48 && ch <= 57) {
      if (digits > 0 && value === 0) return null; // leading zero
      value = value * 10 + (ch - 48);
      if (++digits > 3 || value > 255) return null;
    } else if ((ch === 46 && part < 3) || (ch === 47 && part === 3)) {
      if (digits === 0) return null;
      bytes[part++] = value;
      value = 0;
      digits = 0;
      if (ch === 47) break;
    } else {
      return null;
    }
  }
  const lenText = text.slice(i + 1);
  if (part !== 4 || !/^(0|[1-9][0-9]?)$/.test(lenText)) return null;
  const prefixLen = Number(lenText);
  if (prefixLen > 32) return null;
  const mask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  const addr = (((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) & mask) >>> 0;
  return { bytes: [addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff], prefixLen };
}

export function encodeIpcacheKey(prefix: string): Buffer {
  const b = Buffer.alloc(IPCACHE_KEY_LAYOUT.size);
  writeIpcacheKey(b, 0, prefix);
  return b;
}

/** Writes the key at `at` of a zeroed buffer (batches encode straight into one buffer). */
export function writeIpcacheKey(b: Buffer, at: number, prefix: string): void {
  const v4 = parseIpv4Prefix(prefix);
  if (v4) {
    writeU32(b, at, IPCACHE_PREFIX_BASE + v4.prefixLen);
    b[at + 4] = 4;
    b.set(v4.bytes, at + 8);
    return;
  }
  const p = mustParseCidr(prefix);
  writeU32(b, at, IPCACHE_PREFIX_BASE + p.prefixLen);
  b[at + 4] = p.family;
  b.set(p.bytes, at + 8);
}

export function decodeIpcacheKey(b: Buffer): string {
  const family = b[4] === 6 ? 6 : 4;
  const len = readU32(b, 0) - IPCACHE_PREFIX_BASE;
  const bytes = new Uint8Array(b.subarray(8, 8 + (family === 4 ? 4 : 16)));
  return formatPrefix({ family, bytes, prefixLen: len });
}

export function encodeIpcacheValue(e: Pick<IpcacheEntry, "identity" | "prefixIdentity">): Buffer {
  const b = Buffer.alloc(IPCACHE_VALUE_LAYOUT.size);
  writeIpcacheValue(b, 0, e);
  return b;
}

export function writeIpcacheValue(
  b: Buffer,
  at: number,
  e: Pick<IpcacheEntry, "identity" | "prefixIdentity">,
): void {
  writeU32(b, at, e.identity);
  writeU32(b, at + 4, e.prefixIdentity);
}

export function decodeIpcacheValue(b: Buffer): { identity: number; prefixIdentity: number } {
  return { identity: readU32(b, 0), prefixIdentity: readU32(b, 4) };
}
