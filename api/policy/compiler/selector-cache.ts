// Owns the selector cache: which label identities each (namespace, namespaceSelector, podSelector)
// selects, kept current as identities come and go, with the users (policies) of each selector.
import type { LabelSelector, Labels } from "../model.ts";
import { selectorKey, selectorMatches } from "../selectors.ts";
import { JournaledMap, JournaledSet } from "./journal.ts";
import { addTo, addUser, dropUser, removeFrom } from "./keyed-sets.ts";

export interface IdentityInfo {
  id: number;
  namespace: string;
  namespaceLabels: Labels;
  labels: Labels;
}

interface CachedSelector {
  policyNamespace: string;
  namespaceSelector: LabelSelector | undefined;
  podSelector: LabelSelector | undefined;
  selected: Set<number>;
  users: Set<string>;
}

export class SelectorCache {
  readonly identities = new JournaledMap<number, IdentityInfo>();
  private readonly byNamespace = new JournaledMap<string, Set<number>>();
  private readonly selectors = new JournaledMap<string, CachedSelector>();

  /**
   * Registers a new identity; returns the users of every selector that now selects it (those for
   * which `counts(user, key)` holds, when given).
   */
  addIdentity(info: IdentityInfo, counts?: (user: string, key: string) => boolean): Set<string> {
    this.identities.set(info.id, info);
    addTo(this.byNamespace, info.namespace, info.id);
    const affected = new Set<string>();
    for (const [key, sel] of this.selectors) {
      if (this.matches(sel, info)) {
        sel.selected.add(info.id);
        for (const u of sel.users) if (!counts || counts(u, key)) affected.add(u);
      }
    }
    return affected;
  }

  /** Forgets an identity; returns the users of every selector that selected it (as addIdentity). */
  removeIdentity(id: number, counts?: (user: string, key: string) => boolean): Set<string> {
    const info = this.identities.get(id);
    const affected = new Set<string>();
    if (!info) return affected;
    this.identities.delete(id);
    removeFrom(this.byNamespace, info.namespace, id);
    for (const [key, sel] of this.selectors) {
      if (sel.selected.delete(id)) for (const u of sel.users) if (!counts || counts(u, key)) affected.add(u);
    }
    return affected;
  }

  /**
   * Takes a use of a selector on behalf of `user`; returns its key. A peer without a
   * namespaceSelector selects only in the policy's own namespace; without a podSelector, every pod.
   */
  use(
    policyNamespace: string,
    namespaceSelector: LabelSelector | undefined,
    podSelector: LabelSelector | undefined,
    user: string,
  ): string {
    const key = namespaceSelector
      ? `*|${selectorKey(namespaceSelector)}|${selectorKey(podSelector)}`
      : `${policyNamespace}|-|${selectorKey(podSelector)}`;
    addUser(this.selectors, key, user, () => {
      const sel: CachedSelector = {
        policyNamespace,
        namespaceSelector,
        podSelector,
        selected: new JournaledSet(),
        users: new JournaledSet(),
      };
      this.select(sel);
      return sel;
    });
    return key;
  }

  unuse(key: string, user: string): void {
    dropUser(this.selectors, key, user);
  }

  selected(key: string): ReadonlySet<number> {
    return this.selectors.get(key)?.selected ?? new Set();
  }

  get size(): number {
    return this.selectors.size;
  }

  private select(sel: CachedSelector): void {
    const candidates = sel.namespaceSelector
      ? this.identities.keys()
      : (this.byNamespace.get(sel.policyNamespace) ?? new Set<number>()).values();
    const nsVerdicts = new Map<string, boolean>();
    for (const id of candidates) {
      const info = this.identities.get(id)!;
      if (sel.namespaceSelector) {
        let ok = nsVerdicts.get(info.namespace);
        if (ok === undefined) {
          ok = selectorMatches(sel.namespaceSelector, info.namespaceLabels);
          nsVerdicts.set(info.namespace, ok);
        }
        if (!ok) continue;
      }
      if (!sel.podSelector || selectorMatches(sel.podSelector, info.labels)) sel.selected.add(id);
    }
  }

  private matches(sel: CachedSelector, info: IdentityInfo): boolean {
    if (sel.namespaceSelector) {
      if (!selectorMatches(sel.namespaceSelector, info.namespaceLabels)) return false;
    } else if (info.namespace !== sel.policyNamespace) {
      return false;
    }
    return !sel.podSelector || selectorMatches(sel.podSelector, info.labels);
  }
}
