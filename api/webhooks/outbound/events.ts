// Owns the outbound event catalogue and the shape of an event body (pure).
import type { CommitOrigin } from "../../store/origin.ts";

export const EVENT_TYPES = [
  "policy.created",
  "policy.updated",
  "policy.deleted",
  "clusternetworkpolicy.created",
  "clusternetworkpolicy.updated",
  "clusternetworkpolicy.deleted",
  "apply.completed",
  "revision.enforced",
  "node.enrolled",
  "node.connected",
  "node.disconnected",
  "node.nack",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The JSON body every subscriber receives (also the `webhook-id` is `id`). */
export interface WebhookEvent {
  id: string;
  type: EventType;
  /** RFC 3339 time the event happened. */
  timestamp: string;
  /** The revision the event belongs to. */
  revision: number;
  data: Record<string, unknown>;
}

/** apply.completed lists at most this many written objects (appliedCount tells how many there were). */
export const MAX_APPLIED_LISTED = 1000;

/** What a subscription's `events` list selects: exact types, or "*" for all. */
export function wants(selected: readonly string[], type: EventType): boolean {
  return selected.includes("*") || selected.includes(type);
}

export interface EventDraft {
  type: EventType;
  revision: number;
  data: Record<string, unknown>;
}

/** The events a commit causes: one per policy or cluster policy written, and apply.completed for a bundle. */
export function eventsOfCommit(
  result: {
    revision: number;
    written: { kind: string; op: string; namespace?: string; name: string }[];
  },
  origin: CommitOrigin,
): EventDraft[] {
  const drafts: EventDraft[] = [];
  for (const w of result.written) {
    if (w.kind === "clusterpolicy") {
      drafts.push({
        type: `clusternetworkpolicy.${w.op}` as EventType,
        revision: result.revision,
        data: { name: w.name },
      });
      continue;
    }
    if (w.kind !== "policy") continue;
    drafts.push({
      type: `policy.${w.op}` as EventType,
      revision: result.revision,
      data: { namespace: w.namespace, name: w.name },
    });
  }
  if (origin.kind !== "object") {
    const source =
      origin.kind === "apply"
        ? { kind: "api" }
        : { kind: "hook", receiverId: origin.receiverId, messageId: origin.messageId };
    drafts.push({
      type: "apply.completed",
      revision: result.revision,
      // A bundle of thousands of objects must not become a megabyte event: list the first ones.
      data: {
        source,
        appliedCount: result.written.length,
        applied: result.written.slice(0, MAX_APPLIED_LISTED),
      },
    });
  }
  return drafts;
}
