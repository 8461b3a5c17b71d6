// The agent stream's upgrade goes through the same middleware and error body as the REST routes.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { SYNC_STREAM_PATH } from "../../wire/sync.ts";
import { startPlane, type TestPlane } from "./testing.ts";

/** Sends a WebSocket upgrade request and returns the refusal the server answered instead. */
function refusedUpgrade(url: string, path: string, credential?: string) {
  return new Promise<{ status: number; type: string; body: unknown }>((resolve, reject) => {
    const req = request(`${url}${path}`, {
      headers: {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": Buffer.alloc(16, 1).toString("base64"),
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
      },
    });
    req.on("upgrade", () => reject(new Error("the upgrade was accepted")));
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers["content-type"] ?? "",
          body: JSON.parse(text),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("agent stream upgrade", () => {
  let plane: TestPlane;
  before(async () => {
    plane = await startPlane();
  });
  after(() => plane.close());

  it("refuses a missing or unknown credential with 401 auth.invalid_credential in the REST error body", async () => {
    for (const credential of [
      undefined,
      "pnc_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ]) {
      const res = await refusedUpgrade(plane.server.url, SYNC_STREAM_PATH, credential);
      assert.equal(res.status, 401);
      assert.match(res.type, /application\/json/);
      assert.deepEqual(res.body, {
        error: {
          code: "auth.invalid_credential",
          message: "a valid node credential is required",
          issues: [],
        },
      });
    }
  });

  it("answers an upgrade of any other path with 404 route.not_found", async () => {
    const credential = await plane.enroll("stream-upgrade");
    const res = await refusedUpgrade(plane.server.url, "/v1/namespaces", credential);
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { error: { code: "route.not_found", message: "no such stream", issues: [] } });
  });
});
