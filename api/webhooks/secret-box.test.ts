import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { keyIdOf, parseSecretKeys, SecretBox, SecretBoxError } from "./secret-box.ts";

const k1 = randomBytes(32);
const k2 = randomBytes(32);

describe("secret box", () => {
  it("seals to the versioned text form with a fresh nonce per value, and opens it again", () => {
    const box = new SecretBox([k1]);
    const a = box.seal("whsec_abc", "webhooks.secret/wh_1");
    const b = box.seal("whsec_abc", "webhooks.secret/wh_1");
    assert.match(a, /^v1:[0-9a-f]{8}:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]+$/);
    assert.equal(a.split(":")[1], keyIdOf(k1));
    assert.notEqual(a, b);
    assert.ok(!a.includes("whsec_abc"));
    assert.equal(box.open(a, "webhooks.secret/wh_1"), "whsec_abc");
    assert.equal(box.open(b, "webhooks.secret/wh_1"), "whsec_abc");
  });

  it("refuses a value opened for another row or column, tampered with, or sealed under an unknown key", () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal("s3cret", "webhook_receivers.secret/whr_a");
    assert.throws(() => box.open(sealed, "webhook_receivers.secret/whr_b"), SecretBoxError);
    const parts = sealed.split(":");
    const body = Buffer.from(parts[3]!, "base64");
    body[0]! ^= 1;
    parts[3] = body.toString("base64");
    assert.throws(() => box.open(parts.join(":"), "webhook_receivers.secret/whr_a"), SecretBoxError);
    assert.throws(() => new SecretBox([k2]).open(sealed, "webhook_receivers.secret/whr_a"), /not configured/);
    assert.throws(() => box.open("s3cret", "x"), /not a sealed value/);
  });

  it("seals with the first key and opens with every key (rotation)", () => {
    const old = new SecretBox([k1]).seal("v", "c");
    const rotated = new SecretBox([k2, k1]);
    assert.equal(rotated.open(old, "c"), "v");
    assert.equal(rotated.sealedWithCurrentKey(old), false);
    assert.equal(rotated.sealedWithCurrentKey(rotated.seal("v", "c")), true);
    assert.equal(rotated.keyId, keyIdOf(k2));
  });

  it("reads keys as base64 or hex, comma or newline separated, and names a bad one", () => {
    const keys = parseSecretKeys(`${k1.toString("base64")}\n${k2.toString("hex")}\n`, "f");
    assert.deepEqual(keys, [k1, k2]);
    assert.deepEqual(parseSecretKeys(`${k2.toString("base64url")},${k1.toString("hex")}`, "env"), [k2, k1]);
    assert.throws(() => parseSecretKeys("", "env"), /holds no key/);
    assert.throws(
      () => parseSecretKeys("c2hvcnQ=", "PALISADE_SECRET_KEY"),
      /PALISADE_SECRET_KEY: key 1 must be 32 bytes/,
    );
    assert.throws(() => parseSecretKeys(randomBytes(16).toString("hex"), "env"), /32 bytes/);
  });
});
