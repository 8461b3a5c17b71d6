// A table of listen addresses for wire/listen.ts: what splits into host and port, what is refused.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseListen } from "./listen.ts";

describe("parseListen", () => {
  const accepted: [string, string, number][] = [
    ["127.0.0.1:7400", "127.0.0.1", 7400],
    ["0.0.0.0:0", "0.0.0.0", 0],
    ["localhost:9474", "localhost", 9474],
    ["[::1]:7400", "::1", 7400],
    ["[fd00::1]:65535", "fd00::1", 65535],
  ];
  for (const [text, host, port] of accepted) {
    it(`${JSON.stringify(text)} -> host ${host}, port ${port}`, () => {
      assert.deepEqual(parseListen(text), { host, port });
    });
  }

  const refused = [
    "127.0.0.1",
    "127.0.0.1:",
    ":7400",
    "127.0.0.1:65536",
    "127.0.0.1:123456",
    "::1:7400",
    "[::1]",
  ];
  for (const text of refused) {
    it(`refuses ${JSON.stringify(text)}, naming the flag, an example and the value`, () => {
      assert.throws(
        () => parseListen(text),
        new Error(`--listen must be host:port (e.g. 127.0.0.1:7400), got ${JSON.stringify(text)}`),
      );
    });
  }

  it("names the caller's flag and example in the error", () => {
    assert.throws(() => parseListen("nope", { flag: "--metrics-listen", example: "127.0.0.1:9474" }), {
      message: '--metrics-listen must be host:port (e.g. 127.0.0.1:9474), got "nope"',
    });
  });
});
