// Owns the console's list of recent nacks: the last few revisions agents refused, newest first, kept
// in memory (the hub reports them; the nodes table keeps only each node's last error).

import { isoTime, realClock, type TimeSource } from "../../lib/clock.ts";

export interface NackRecord {
  at: string;
  node: string;
  revision: number;
  code: string;
  message: string;
}

export class RecentNacks {
  private readonly items: NackRecord[] = [];

  constructor(
    private readonly capacity = 50,
    private readonly clock: TimeSource = realClock,
  ) {}

  /** Takes a hub event; anything but a nack is ignored. Never throws (the hub's onEvent must not). */
  observe(event: { type: string; revision: number; data: Record<string, unknown> }): void {
    if (event.type !== "node.nack") return;
    const error = (event.data.error ?? {}) as { code?: unknown; message?: unknown };
    this.items.unshift({
      at: isoTime(this.clock),
      node: String(event.data.node ?? ""),
      revision: event.revision,
      code: String(error.code ?? ""),
      message: String(error.message ?? ""),
    });
    if (this.items.length > this.capacity) this.items.length = this.capacity;
  }

  list(): readonly NackRecord[] {
    return this.items;
  }
}
