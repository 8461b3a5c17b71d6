// Owns the stable error codes of the BPF binding and the check callers branch on.

export const BPF_ERROR_CODES = [
  "ERR_BPF_MAP_FULL",
  "ERR_BPF_NOT_FOUND",
  "ERR_BPF_PERMISSION",
  "ERR_BPF_EXISTS",
  "ERR_BPF_INVALID",
  "ERR_BPF_NO_DEVICE",
  "ERR_BPF_NOT_SUPPORTED",
  "ERR_BPF_BUSY",
  "ERR_BPF_NO_MEMORY",
  "ERR_BPF_BAD_FD",
  "ERR_BPF_SYSCALL",
  "ERR_BPF_ARGUMENT",
  "ERR_BPF_ADDON_MISSING",
  "ERR_BPF_CLOSED",
  "ERR_BPF_LAYOUT",
] as const;
export type BpfErrorCode = (typeof BPF_ERROR_CODES)[number];

/** An error from the binding or the library: `code` is one of BPF_ERROR_CODES. */
export interface BpfError extends Error {
  code: BpfErrorCode;
  errno?: number;
  operation?: string;
}

export function isBpfError(e: unknown, code?: BpfErrorCode): e is BpfError {
  if (!(e instanceof Error)) return false;
  const c = (e as { code?: unknown }).code;
  return typeof c === "string" && c.startsWith("ERR_BPF_") && (code === undefined || c === code);
}

export function bpfError(code: BpfErrorCode, message: string, cause?: unknown): BpfError {
  const e = new Error(message, cause === undefined ? undefined : { cause }) as BpfError;
  e.code = code;
  return e;
}
