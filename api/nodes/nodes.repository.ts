// Owns the nodes table: enrolled nodes and the status their agents report.
import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { nodes } from "../../db/schema.ts";

export interface NodeRecord {
  name: string;
  enrolledAt: string;
  lastSeenAt: string | null;
  agentVersion: string | null;
  features: Record<string, boolean>;
  appliedRevision: number | null;
  endpointsAttached: number | null;
  lastError: string | null;
  credentialRotatedAt: string | null;
}

export class NodesRepository {
  constructor(private readonly db: Db) {}

  list(): NodeRecord[] {
    return this.db.select().from(nodes).orderBy(nodes.name).all().map(toRecord);
  }

  get(name: string): NodeRecord | undefined {
    const row = this.db.select().from(nodes).where(eq(nodes.name, name)).get();
    return row && toRecord(row);
  }

  delete(name: string): boolean {
    return this.db.delete(nodes).where(eq(nodes.name, name)).run().changes > 0;
  }

  /** Writes what an agent reported; fields left undefined keep their stored value. */
  update(
    name: string,
    status: Partial<Omit<NodeRecord, "name" | "enrolledAt" | "features" | "credentialRotatedAt">> & {
      features?: Record<string, boolean>;
    },
  ): void {
    const { features, ...rest } = status;
    const set = { ...rest, ...(features ? { features: JSON.stringify(features) } : {}) };
    if (Object.keys(set).length === 0) return;
    this.db.update(nodes).set(set).where(eq(nodes.name, name)).run();
  }
}

function toRecord(row: typeof nodes.$inferSelect): NodeRecord {
  return {
    name: row.name,
    enrolledAt: row.enrolledAt,
    lastSeenAt: row.lastSeenAt,
    agentVersion: row.agentVersion,
    features: JSON.parse(row.features) as Record<string, boolean>,
    appliedRevision: row.appliedRevision,
    endpointsAttached: row.endpointsAttached,
    lastError: row.lastError,
    credentialRotatedAt: row.credentialRotatedAt,
  };
}
