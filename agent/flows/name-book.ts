// Owns the agent's names for what the datapath reports by number: policy id -> kind/namespace/name,
// endpoint id and address -> namespace/name/labels, identity -> labels. Fed by the revisioned
// catalog of the sync stream (wire/flow-names.ts); lookups use indexes rebuilt after each change.
import {
  applyNamesDelta,
  type EndpointName,
  type NameMaps,
  type NamesDelta,
  type PolicyName,
} from "../../wire/flow-names.ts";

interface Indexes {
  policyById: Map<number, PolicyName>;
  endpointById: Map<number, EndpointName>;
  endpointByAddress: Map<string, EndpointName>;
  endpointByIdentity: Map<number, EndpointName>;
}

export class NameBook {
  #maps: NameMaps = { policies: new Map(), endpoints: new Map() };
  #indexes: Indexes | undefined;
  /** False until a catalog arrived (an older control plane sends none). */
  known = false;

  apply(delta: NamesDelta): void {
    applyNamesDelta(this.#maps, delta);
    this.#indexes = undefined;
    this.known = true;
  }

  get size(): { policies: number; endpoints: number } {
    return { policies: this.#maps.policies.size, endpoints: this.#maps.endpoints.size };
  }

  policy(id: number): PolicyName | undefined {
    return this.#index().policyById.get(id);
  }

  endpoint(endpointId: number): EndpointName | undefined {
    return this.#index().endpointById.get(endpointId);
  }

  endpointAt(address: string): EndpointName | undefined {
    return this.#index().endpointByAddress.get(address);
  }

  /** An endpoint holding `identity` (every holder has the same labels and namespace). */
  withIdentity(identity: number): EndpointName | undefined {
    return this.#index().endpointByIdentity.get(identity);
  }

  #index(): Indexes {
    if (this.#indexes) return this.#indexes;
    const ix: Indexes = {
      policyById: new Map(),
      endpointById: new Map(),
      endpointByAddress: new Map(),
      endpointByIdentity: new Map(),
    };
    for (const p of this.#maps.policies.values()) ix.policyById.set(p.id, p);
    for (const e of this.#maps.endpoints.values()) {
      ix.endpointById.set(e.endpointId, e);
      ix.endpointByIdentity.set(e.identity, e);
      for (const a of e.addresses) ix.endpointByAddress.set(a, e);
    }
    this.#indexes = ix;
    return ix;
  }
}
