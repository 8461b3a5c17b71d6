// Issue 10, section 3: the data directory is 0700 and the database, -wal and -shm 0600 whatever the umask.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase } from "../../db/client.ts";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("database file modes", () => {
  const root = mkdtempSync(join(tmpdir(), "palisade-modes-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("creates the directory 0700 and the database, -wal and -shm 0600 even with umask 000", () => {
    const previous = process.umask(0o000);
    try {
      const path = join(root, "fresh", "state", "palisade.db");
      const db = openDatabase(path);
      db.sqlite.exec("CREATE TABLE probe (x); INSERT INTO probe VALUES (1)");
      assert.equal(mode(join(root, "fresh")), 0o700);
      assert.equal(mode(join(root, "fresh", "state")), 0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(file), 0o600, file);
      db.close();
    } finally {
      process.umask(previous);
    }
  });

  it("narrows a database and side files an older version left 0644", () => {
    const previous = process.umask(0o022);
    try {
      const path = join(root, "old.db");
      openDatabase(path).close();
      writeFileSync(`${path}-shm`, "");
      for (const f of [path, `${path}-shm`]) chmodSync(f, 0o644);
      const db = openDatabase(path);
      db.sqlite.exec("CREATE TABLE probe (x); INSERT INTO probe VALUES (1)");
      for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(file), 0o600, file);
      db.close();
    } finally {
      process.umask(previous);
    }
  });
});
