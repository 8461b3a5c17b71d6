// POST /v1/enroll under its failure limiter: a lockout refuses failures, never a valid token.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startPlane, type TestPlane } from "../sync/testing.ts";

describe("POST /v1/enroll from a locked-out address", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
  });
  after(() => plane.close());

  it("refuses further failures with 429 but still accepts a valid token", async () => {
    const bad = { token: "pet_000000000000_x", node: "guess", agentVersion: "test" };
    for (let i = 0; i < 10; i++) {
      assert.equal((await plane.api("POST", "/v1/enroll", bad)).body.error.code, "enrollment.token_invalid");
    }
    const locked = await plane.api("POST", "/v1/enroll", bad);
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, "enrollment.rate_limited");

    const t = await plane.api("POST", "/v1/enrollment-tokens", {});
    const good = await plane.api("POST", "/v1/enroll", { token: t.body.token, node: "behind-nat" });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.node, "behind-nat");

    const again = await plane.api("POST", "/v1/enroll", { token: t.body.token, node: "other" });
    assert.equal(again.status, 429, "a failure from the locked-out address is still refused as such");
    assert.equal(again.body.error.code, "enrollment.rate_limited");
  });
});
