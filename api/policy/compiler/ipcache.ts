// Owns what one ipcache key should hold: an endpoint address, a policy prefix, or nothing.

import { mustParseCidr } from "../../../wire/cidr.ts";
import { IDENTITY_WORLD, type IpcacheEntry } from "../../../wire/entries.ts";
import type { PrefixRegistry } from "./prefixes.ts";
import type { EndpointRec } from "./types.ts";

/**
 * The desired entry for `key` (a canonical prefix). An endpoint's host prefix carries the
 * endpoint's identity; a policy prefix carries `world`; both carry the identity of the longest
 * policy prefix that contains them, so ipBlock rules also match endpoint addresses.
 */
export function computeIpcacheEntry(
  key: string,
  ipOwners: ReadonlyMap<string, string>,
  endpoints: ReadonlyMap<string, EndpointRec>,
  prefixes: PrefixRegistry,
): IpcacheEntry | undefined {
  const ownerKey = ipOwners.get(key);
  const owner = ownerKey === undefined ? undefined : endpoints.get(ownerKey);
  const registered = prefixes.idOf(key) !== undefined;
  if (!owner && !registered) return undefined;
  const prefixIdentity = prefixes.longestMatch(mustParseCidr(key));
  return { prefix: key, identity: owner ? owner.identity : IDENTITY_WORLD, prefixIdentity };
}
