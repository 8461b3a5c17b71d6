// Owns the bytes of one revision's delta messages: each distinct node delta is encoded once and
// its frame shared by every node that receives the same one. The ipcache part is identical for
// every node and is serialized once; a node whose own part is empty or only names shared policy
// sets gets the frame of every other node with the same sets.

import type { NodeState } from "../../wire/entries.ts";
import type { NameCatalog, NamesDelta } from "../../wire/flow-names.ts";
import type { NodeChange } from "../policy/compiler/change-set.ts";
import { nodeDelta } from "../policy/compiler/change-set.ts";
import type { ChangeSet } from "../policy/compiler/engine.ts";

export class EncodedRevision {
  private readonly frames = new Map<string, Buffer>();
  private ipcacheJson: string | undefined;
  private namesJson: string | undefined;
  /** Frames encoded (for the benchmark's and the test's view of the sharing). */
  encoded = 0;

  constructor(
    readonly revision: number,
    private readonly changes: ChangeSet,
    /** The revision's change to the name catalog, for agents that announced FEATURE_FLOWS. */
    private readonly names?: NamesDelta,
  ) {}

  /**
   * The `delta` message from revision - 1 to revision for `node`, as the bytes of a text frame;
   * with the names delta when `withNames` (and the revision changed names).
   */
  frameFor(node: string, withNames = false): Buffer {
    const named = withNames && this.names !== undefined;
    const base = shareKey(this.changes.nodes[node]);
    const key = base === null ? null : `${named ? "n" : "-"}${base}`;
    const cached = key === null ? undefined : this.frames.get(key);
    if (cached) return cached;
    const frame = this.encode(node, named);
    if (key !== null) this.frames.set(key, frame);
    return frame;
  }

  private encode(node: string, named: boolean): Buffer {
    this.encoded++;
    const { endpoints, policies } = nodeDelta(this.changes, node);
    this.ipcacheJson ??= JSON.stringify(this.changes.ipcache);
    if (named) this.namesJson ??= JSON.stringify(this.names);
    const names = named ? `,"names":${this.namesJson}` : "";
    // The DeltaMessage of wire/sync.ts (deltaSchema), written field by field so that the shared
    // ipcache part is serialized once; fanout.test.ts checks it parses to the same message.
    return Buffer.from(
      `{"type":"delta","fromRevision":${this.revision - 1},"toRevision":${this.revision},"delta":{"ipcache":${this.ipcacheJson},"endpoints":${JSON.stringify(endpoints)},"policies":${JSON.stringify(policies)}}${names}}`,
    );
  }
}

/**
 * Nodes with the same key receive the same delta; null when the node's delta is its own (it has
 * endpoint changes, which only it receives).
 */
function shareKey(n: NodeChange | undefined): string | null {
  if (!n) return "";
  if (n.endpoints.upsert.length > 0 || n.endpoints.remove.length > 0) return null;
  return `c${n.changed.join(",")}a${n.added.join(",")}r${n.removed.join(",")}`;
}

/**
 * Snapshot messages of the current revision: the ipcache part, identical for every node (and most
 * of a snapshot's bytes: one entry per endpoint of the cluster), is serialized once per revision,
 * not once per agent that connects (10,000 agents after a restart).
 */
export class SnapshotFrames {
  private cached: { revision: number; ipcacheJson: string; namesJson?: string } | undefined;

  /**
   * The `snapshot` message of `revision` for a node whose state is `state`; with the name catalog
   * when `names` is given (read once per revision, for agents that announced FEATURE_FLOWS).
   */
  frame(revision: number, state: NodeState, names?: () => NameCatalog): Buffer {
    if (this.cached?.revision !== revision)
      this.cached = { revision, ipcacheJson: JSON.stringify(state.ipcache) };
    if (names) this.cached.namesJson ??= JSON.stringify(names());
    const namesPart = names ? `,"names":${this.cached.namesJson}` : "";
    // The SnapshotMessage of wire/sync.ts (snapshotSchema), written field by field so that the
    // shared ipcache part is serialized once; fanout.test.ts checks it parses to the same message.
    return Buffer.from(
      `{"type":"snapshot","revision":${revision},"state":{"ipcache":${this.cached.ipcacheJson},"endpoints":${JSON.stringify(state.endpoints)},"policies":${JSON.stringify(state.policies)}}${namesPart}}`,
    );
  }
}
