// Issue 10 section 3, last bullet: API tokens record when they were last used (GET /v1/tokens
// shows it), written at most once a minute per token so a busy token costs no write per request.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TokenRepository } from "../../api/auth/tokens.ts";
import { createTestApp } from "../../api/testing.ts";
import { openTestDatabase } from "../../db/testing.ts";
import { ManualClock } from "../../lib/testing/manual-clock.ts";

const START = Date.parse("2025-01-01T00:00:00.000Z");

function lastUsed(tokens: TokenRepository, id: string): string | null {
  return tokens.list().find((t) => t.id === id)!.lastUsedAt;
}

describe("token lastUsedAt", () => {
  it("is written on the first use, then at most once a minute", () => {
    const clock = new ManualClock(START);
    const tokens = new TokenRepository(openTestDatabase().db, clock);
    const { id, token } = tokens.create("read", "ci");
    assert.equal(lastUsed(tokens, id), null);

    clock.advance(1_000);
    assert.equal(tokens.verify(token), "read");
    assert.equal(lastUsed(tokens, id), "2025-01-01T00:00:01.000Z");

    clock.advance(59_000);
    assert.equal(tokens.verify(token), "read");
    assert.equal(lastUsed(tokens, id), "2025-01-01T00:00:01.000Z", "not rewritten within the minute");

    clock.advance(1_000);
    assert.equal(tokens.verify(token), "read");
    assert.equal(lastUsed(tokens, id), "2025-01-01T00:01:01.000Z");
  });

  it("is not written for a refused presentation (wrong secret, revoked token)", () => {
    const clock = new ManualClock(START);
    const tokens = new TokenRepository(openTestDatabase().db, clock);
    const { id, token } = tokens.create("admin", "");
    const forged = `${token.slice(0, -4)}AAAA`;
    assert.equal(tokens.verify(forged), null);
    assert.equal(lastUsed(tokens, id), null);
    tokens.revoke(id);
    assert.equal(tokens.verify(token), null);
    assert.equal(lastUsed(tokens, id), null);
  });

  it("shows in GET /v1/tokens once the token has been used", async () => {
    const t = createTestApp();
    const created = await t.call(
      "POST",
      "/v1/tokens",
      JSON.stringify({ scope: "read", description: "dash" }),
    );
    const before = Date.now();
    const used = await t.call("GET", "/v1/revision", undefined, {
      headers: { authorization: `Bearer ${created.body.token}` },
    });
    assert.equal(used.status, 200);
    const listed = await t.call("GET", "/v1/tokens");
    const row = listed.body.items.find((i: { id: string }) => i.id === created.body.id);
    assert.ok(row.lastUsedAt, JSON.stringify(row));
    assert.ok(Date.parse(row.lastUsedAt) >= before - 1000 && Date.parse(row.lastUsedAt) <= Date.now());
  });
});
