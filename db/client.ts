// Owns opening the database: its files' modes (directory 0700, files 0600), pragmas (WAL, foreign
// keys, busy timeout) and running migrations.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.ts";

export type Db = BetterSQLite3Database<typeof schema>;

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");

export interface OpenedDatabase {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

/** Opens (creating if needed) the database at `path` (":memory:" for tests) and migrates it. */
export function openDatabase(path: string): OpenedDatabase {
  if (path !== ":memory:") prepareFiles(path);
  const sqlite = new Database(path);
  if (path !== ":memory:") {
    sqlite.pragma("journal_mode = WAL");
    restrictFiles(path);
  }
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("synchronous = NORMAL");
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_DIR });
  return { db, sqlite, close: () => sqlite.close() };
}

/** What SQLite writes beside the database file. */
const SIDE_FILES = ["-wal", "-shm", "-journal"];

/**
 * Creates the directory 0700 (an existing one is left as its owner made it) and the database file
 * 0600 before SQLite opens it: SQLite would create it 0644 minus the umask, and it gives the -wal
 * and -shm files the database file's mode. Modes are exact whatever the umask (it only removes
 * bits, and these have none beyond the owner's); an older database made 0644 is narrowed too.
 */
function prepareFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, "a", 0o600));
  restrictFiles(path);
}

function restrictFiles(path: string): void {
  chmodSync(path, 0o600);
  for (const suffix of SIDE_FILES) if (existsSync(path + suffix)) chmodSync(path + suffix, 0o600);
}
