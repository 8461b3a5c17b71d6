// Owns the description of a C struct layout as mirrored in TS, and host-order integer access.
// Every codec declares the layout it assumes; bpf/lib/layout.test.ts compares them with the
// output of bpf/layout/layout.c (compiled from the same headers as the programs).
import { endianness } from "node:os";

/** Field name (as in C) -> [byte offset, byte size]. */
export interface StructLayout {
  struct: string;
  size: number;
  fields: Record<string, readonly [number, number]>;
}

const LE = endianness() === "LE";

export function readU16(b: Buffer, off: number): number {
  return LE ? b.readUInt16LE(off) : b.readUInt16BE(off);
}
export function readU32(b: Buffer, off: number): number {
  return LE ? b.readUInt32LE(off) : b.readUInt32BE(off);
}
export function readI32(b: Buffer, off: number): number {
  return LE ? b.readInt32LE(off) : b.readInt32BE(off);
}
export function readU64(b: Buffer, off: number): bigint {
  return LE ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
}
export function writeU16(b: Buffer, off: number, v: number): void {
  if (LE) b.writeUInt16LE(v, off);
  else b.writeUInt16BE(v, off);
}
export function writeU32(b: Buffer, off: number, v: number): void {
  if (LE) b.writeUInt32LE(v >>> 0, off);
  else b.writeUInt32BE(v >>> 0, off);
}
export function writeU64(b: Buffer, off: number, v: bigint): void {
  if (LE) b.writeBigUInt64LE(v, off);
  else b.writeBigUInt64BE(v, off);
}

/** Offset of a field, from the declared layout (so a codec cannot use an undeclared field). */
export function off(layout: StructLayout, field: string): number {
  const f = layout.fields[field];
  if (!f) throw new Error(`layout ${layout.struct} has no field ${field}`);
  return f[0];
}
