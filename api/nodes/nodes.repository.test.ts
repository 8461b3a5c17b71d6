// The nodes table's status writes: each field written as given (null clears), a field left out
// keeps its value, features stored as JSON; the same through every cached statement.
import assert from "node:assert/strict";
import { it } from "node:test";
import { nodes } from "../../db/schema.ts";
import { openTestDatabase } from "../../db/testing.ts";
import { NodesRepository } from "./nodes.repository.ts";

it("writes the reported fields, keeps the others, and clears with null", () => {
  const { db, close } = openTestDatabase();
  try {
    for (const name of ["a", "b"])
      db.insert(nodes)
        .values({
          name,
          credentialId: `id-${name}`,
          credentialHash: "00",
          enrolledAt: "2026-01-01T00:00:00Z",
        })
        .run();
    const repo = new NodesRepository(db);
    repo.update("a", { agentVersion: "1.0", features: { tcx: true }, lastSeenAt: "t1" });
    repo.update("a", { appliedRevision: 7, lastError: "boom", lastSeenAt: "t2" });
    repo.update("b", { appliedRevision: 3, lastError: null, lastSeenAt: "t3" }); // the same columns, another node
    repo.update("a", { lastError: null, appliedRevision: undefined });
    repo.update("a", {});
    const a = repo.get("a")!;
    assert.deepEqual(
      [a.agentVersion, a.features, a.appliedRevision, a.lastError, a.lastSeenAt],
      ["1.0", { tcx: true }, 7, null, "t2"],
    );
    const b = repo.get("b")!;
    assert.deepEqual([b.agentVersion, b.appliedRevision, b.lastSeenAt], [null, 3, "t3"]);
    assert.deepEqual(
      repo.appliedRevisions().sort((x, y) => x.name.localeCompare(y.name)),
      [
        { name: "a", appliedRevision: 7 },
        { name: "b", appliedRevision: 3 },
      ],
    );
  } finally {
    close();
  }
});
