// Mirrors bpf/include/fragments.h (the owner): the first fragment's ports per IPv4 datagram.
import type { StructLayout } from "./layout.ts";

export const FRAG_KEY_LAYOUT: StructLayout = {
  struct: "pal_frag_key",
  size: 12,
  fields: { src_addr: [0, 4], dst_addr: [4, 4], frag_id: [8, 2], protocol: [10, 1] },
};
export const FRAG_VALUE_LAYOUT: StructLayout = {
  struct: "pal_frag_value",
  size: 16,
  fields: { expires_ns: [0, 8], src_port: [8, 2], dst_port: [10, 2] },
};
/** Seconds a first fragment's ports are kept (PAL_FRAG_TIMEOUT). */
export const FRAG_TIMEOUT = 30;
