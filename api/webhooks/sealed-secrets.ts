// Owns the webhook secrets stored in the database as a whole: where they live (table, column and
// the context each is sealed for), and bringing every one under the current key at start (clear
// rows of older versions sealed, rows of a retired key sealed again), in one transaction.
import type Database from "better-sqlite3";
import { SecretBox } from "./secret-box.ts";

/** The columns that hold a secret, and the context its sealed value is bound to. */
const COLUMNS = [
  { table: "webhook_receivers", column: "secret" },
  { table: "webhooks", column: "secret" },
  { table: "webhooks", column: "previous_secret" },
] as const;

export type SecretColumn = (typeof COLUMNS)[number];

/** The additional data a value is sealed with: a value copied to another row or column does not open. */
export function secretContext(col: SecretColumn, id: string): string {
  return `${col.table}.${col.column}/${id}`;
}

export const RECEIVER_SECRET = COLUMNS[0];
export const WEBHOOK_SECRET = COLUMNS[1];
export const WEBHOOK_PREVIOUS_SECRET = COLUMNS[2];

/** True when the database holds a sealed secret (its key must then exist already). */
export function hasSealedSecrets(sqlite: Database.Database): boolean {
  return COLUMNS.some(
    (c) =>
      sqlite.prepare(`SELECT 1 FROM ${c.table} WHERE ${c.column} LIKE 'v1:%' LIMIT 1`).get() !== undefined,
  );
}

export interface SealReport {
  /** Clear values sealed (a database from before encryption at rest). */
  sealed: number;
  /** Values sealed with a retired key and sealed again with the current one. */
  resealed: number;
}

/**
 * Opens every stored secret (so a missing or wrong key stops the start, not the first hook) and
 * seals what is clear or under a retired key. Overwritten clear values are zeroed on their pages
 * (secure_delete) and the WAL is emptied, so the file no longer holds them.
 */
export function sealStoredSecrets(sqlite: Database.Database, box: SecretBox): SealReport {
  const report: SealReport = { sealed: 0, resealed: 0 };
  const secureDelete = sqlite.pragma("secure_delete", { simple: true });
  sqlite.pragma("secure_delete = ON");
  try {
    sqlite.transaction(() => {
      for (const col of COLUMNS) {
        const rows = sqlite
          .prepare(`SELECT id, ${col.column} AS value FROM ${col.table} WHERE ${col.column} IS NOT NULL`)
          .all() as { id: string; value: string }[];
        const update = sqlite.prepare(`UPDATE ${col.table} SET ${col.column} = ? WHERE id = ?`);
        for (const { id, value } of rows) {
          const context = secretContext(col, id);
          if (!SecretBox.isSealed(value)) {
            update.run(box.seal(value, context), id);
            report.sealed++;
            continue;
          }
          const plain = box.open(value, context);
          if (!box.sealedWithCurrentKey(value)) {
            update.run(box.seal(plain, context), id);
            report.resealed++;
          }
        }
      }
    })();
  } finally {
    sqlite.pragma(`secure_delete = ${secureDelete === 2 ? "FAST" : secureDelete}`);
  }
  if (report.sealed + report.resealed > 0 && !sqlite.memory) sqlite.pragma("wal_checkpoint(TRUNCATE)");
  return report;
}
