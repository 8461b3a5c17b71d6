// The lookups on a hot path find their row by index, not by scanning the table: a scan is cheap in
// a test and quadratic in production (every agent stream authenticates by credential id).
import assert from "node:assert/strict";
import { it } from "node:test";
import { openDatabase } from "./client.ts";

it("a node credential is looked up by index (each agent stream's authentication)", () => {
  const { sqlite, close } = openDatabase(":memory:");
  try {
    const plan = sqlite
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM nodes WHERE credential_id = ?")
      .all("pnc_0000")
      .map((r) => (r as { detail: string }).detail)
      .join("\n");
    assert.match(plan, /USING INDEX nodes_credential_id/);
  } finally {
    close();
  }
});
