// Owns the cluster-policy peers that select whole namespaces: which namespace identities each
// namespace selector selects, kept current as namespaces gain or lose their identity and change
// labels, with the users (policy tokens) of each selector. Such a peer compiles to one tier entry
// per selected namespace (under its namespace identity, bpf/include/tiers.h), so a new pod, a new
// label identity or a relabelled pod never concerns it; only a namespace's labels or its identity
// coming and going do.
import type { LabelSelector, Labels } from "../model.ts";
import { selectorKey, selectorMatches } from "../selectors.ts";
import { JournaledMap, JournaledSet } from "./journal.ts";
import { addUser, dropUser } from "./keyed-sets.ts";

/** A namespace as the selectors see it: its labels and its identity (undefined: it has none). */
export interface NamespaceView {
  labels: Labels;
  identity: number | undefined;
}

interface CachedNamespaceSelector {
  selector: LabelSelector;
  /** Namespace name -> its identity, for the namespaces selected. */
  selected: Map<string, number>;
  /** The identities of `selected`, as the rule expansion reads them. */
  identities: Set<number>;
  users: Set<string>;
}

export class NamespacePeers {
  private readonly selectors = new JournaledMap<string, CachedNamespaceSelector>();

  /** @param namespaces every namespace by name, as it is now. */
  constructor(private readonly namespaces: () => Iterable<[string, NamespaceView]>) {}

  /** Takes a use of the namespace selector on behalf of `user`; returns its key. */
  use(selector: LabelSelector, user: string): string {
    const key = selectorKey(selector);
    addUser(this.selectors, key, user, () => {
      const sel: CachedNamespaceSelector = {
        selector,
        selected: new JournaledMap(),
        identities: new JournaledSet(),
        users: new JournaledSet(),
      };
      for (const [name, ns] of this.namespaces()) {
        if (ns.identity !== undefined && selectorMatches(selector, ns.labels)) {
          sel.selected.set(name, ns.identity);
          sel.identities.add(ns.identity);
        }
      }
      return sel;
    });
    return key;
  }

  unuse(key: string, user: string): void {
    dropUser(this.selectors, key, user);
  }

  /** Namespace identities the selector selects. */
  selected(key: string): ReadonlySet<number> {
    return this.selectors.get(key)?.identities ?? new Set();
  }

  /**
   * Brings every selector up to date for one namespace (labels changed, identity came or went, or
   * it was deleted: `ns` undefined). Calls `affected(user, identity)` for each user of a selector
   * whose selection gained or lost that namespace identity.
   */
  refresh(
    name: string,
    ns: NamespaceView | undefined,
    affected: (user: string, identity: number) => void,
  ): void {
    for (const sel of this.selectors.values()) {
      const had = sel.selected.get(name);
      const now =
        ns !== undefined && ns.identity !== undefined && selectorMatches(sel.selector, ns.labels)
          ? ns.identity
          : undefined;
      if (had === now) continue;
      if (had !== undefined) {
        sel.selected.delete(name);
        sel.identities.delete(had);
      }
      if (now !== undefined) {
        sel.selected.set(name, now);
        sel.identities.add(now);
      }
      for (const user of sel.users) {
        if (had !== undefined) affected(user, had);
        if (now !== undefined) affected(user, now);
      }
    }
  }
}
