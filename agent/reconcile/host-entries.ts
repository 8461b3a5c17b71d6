// Owns the node's own addresses in its ipcache: they carry identity `host` on this node only (the
// control plane compiles one ipcache for every node, so the agent overlays its own addresses).
import { canonicalCidr, hostPrefix } from "../../wire/cidr.ts";
import { IDENTITY_HOST, type IpcacheEntry, type NodeState } from "../../wire/entries.ts";
import { PolicyIndex } from "../../wire/policy-lookup.ts";

/**
 * `state` with an ipcache entry of identity `host` for each address, keeping the prefix identity
 * of the longest policy prefix that contains it (so ipBlock rules still see it). Applying it again
 * gives the same state. (An address the node no longer has keeps its entry until a snapshot.)
 */
export function withHostEntries(state: NodeState, addresses: readonly string[]): NodeState {
  if (addresses.length === 0) return state;
  const index = new PolicyIndex({ ipcache: state.ipcache, policies: [] });
  const host = new Map<string, IpcacheEntry>();
  for (const address of addresses) {
    const prefix = hostPrefix(address);
    if (prefix === null) continue;
    const { prefixIdentity } = index.lookupIpcache(address);
    host.set(prefix, { prefix, identity: IDENTITY_HOST, prefixIdentity });
  }
  const rest = state.ipcache.filter((e) => !host.has(canonicalCidr(e.prefix) ?? e.prefix));
  return { ...state, ipcache: [...rest, ...host.values()] };
}
