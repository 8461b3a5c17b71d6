import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import {
  generateSecret,
  signatureHeader,
  verifyGithubSignature,
  verifyStandardSignature,
} from "./signing.ts";
import { specSign, specVerify } from "./testing.ts";

describe("signatures", () => {
  it("matches the Standard Webhooks specification's published example", () => {
    // From standard-webhooks/spec: secret, id, timestamp and payload with their expected signature.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const ts = 1614265330;
    const body = '{"test": 2432232314}';
    assert.equal(signatureHeader([secret], id, ts, body), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("a header the signer made passes an independent verifier, for every secret listed", () => {
    const a = generateSecret();
    const b = generateSecret();
    const body = '{"type":"policy.created"}';
    const header = signatureHeader([a, b], "evt_1", 1_700_000_000, body);
    const received = {
      headers: { "webhook-id": "evt_1", "webhook-timestamp": "1700000000", "webhook-signature": header },
      body,
    };
    assert.ok(specVerify(a, received, 1_700_000_000));
    assert.ok(specVerify(b, received, 1_700_000_000));
    assert.equal(specVerify(generateSecret(), received, 1_700_000_000), false);
  });

  it("verifies a header an independent signer made, and refuses a changed body, id or timestamp", () => {
    const s = generateSecret();
    const body = Buffer.from("[]");
    const header = `v0,ignored ${specSign(s, "m", 5, "[]")}`;
    assert.ok(verifyStandardSignature(s, "m", 5, body, header));
    assert.equal(verifyStandardSignature(s, "m", 5, Buffer.from("[ ]"), header), false);
    assert.equal(verifyStandardSignature(s, "n", 5, body, header), false);
    assert.equal(verifyStandardSignature(s, "m", 6, body, header), false);
    assert.equal(verifyStandardSignature(s, "m", 5, body, "v1,not-base64!!"), false);
  });

  it("verifies GitHub's X-Hub-Signature-256 as sha256=<hex HMAC of the body>", () => {
    const body = Buffer.from('{"a":1}');
    const hex = createHmac("sha256", "shared").update(body).digest("hex");
    assert.ok(verifyGithubSignature("shared", body, `sha256=${hex}`));
    assert.equal(verifyGithubSignature("other", body, `sha256=${hex}`), false);
    assert.equal(verifyGithubSignature("shared", body, hex), false);
  });
});
