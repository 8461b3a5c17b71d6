import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CniFramingError,
  decodeCniAnswer,
  decodeCniRequest,
  encodeCniAnswer,
  encodeCniRequest,
} from "./cni-socket.ts";

describe("CNI socket framing", () => {
  it("round-trips a request, keeping stdin byte for byte", () => {
    const req = {
      env: { CNI_COMMAND: "ADD", CNI_CONTAINERID: "abc", CNI_NETNS: "/run/netns/x", CNI_ARGS: "A=1;B=2" },
      stdin: '{"cniVersion":"1.0.0",\n\n"name":"n"}',
    } as const;
    const bytes = encodeCniRequest(req);
    assert.equal(
      bytes.toString().split("\n\n")[0],
      "PALISADE-CNI 1\nCNI_COMMAND=ADD\nCNI_CONTAINERID=abc\nCNI_NETNS=/run/netns/x\nCNI_ARGS=A=1;B=2",
    );
    assert.deepEqual(decodeCniRequest(bytes), req);
  });

  it("refuses a newline in a value, a foreign header line and a missing magic", () => {
    assert.throws(() => encodeCniRequest({ env: { CNI_ARGS: "a\nb" }, stdin: "" }), CniFramingError);
    assert.throws(
      () => decodeCniRequest(Buffer.from("PALISADE-CNI 1\nPATH=/bin\n\n{}")),
      /unexpected header/,
    );
    assert.throws(() => decodeCniRequest(Buffer.from("HELLO\n\n{}")), /starts with/);
    assert.throws(
      () => decodeCniRequest(Buffer.from("PALISADE-CNI 1\nCNI_COMMAND=ADD\n")),
      /no end of header/,
    );
  });

  it("round-trips an answer and refuses one without an exit code line", () => {
    const answer = { exitCode: 7, stdout: '{"code":7,\n"msg":"x"}' };
    assert.deepEqual(decodeCniAnswer(encodeCniAnswer(answer)), answer);
    assert.deepEqual(decodeCniAnswer(Buffer.from("0\n")), { exitCode: 0, stdout: "" });
    assert.throws(() => decodeCniAnswer(Buffer.from("{}")), CniFramingError);
    assert.throws(() => encodeCniAnswer({ exitCode: 256, stdout: "" }), CniFramingError);
  });
});
