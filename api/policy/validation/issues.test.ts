// Tests issue paths, bounded values and messages, and the __proto__ key search.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatPath, guarded, makeIssue, type PathSegment, previewValue } from "./issues.ts";
import { findProtoKeys } from "./proto-keys.ts";

describe("issue paths", () => {
  const table: [PathSegment[], string][] = [
    [[], ""],
    [["spec"], "spec"],
    [["spec", "ingress", 0, "from", 1, "ipBlock", "except", 0], "spec.ingress[0].from[1].ipBlock.except[0]"],
    [[3], "[3]"],
    [["ips", 1], "ips[1]"],
    [["metadata", "labels", "app.kubernetes.io/name"], 'metadata.labels["app.kubernetes.io/name"]'],
    [["labels", "a b"], 'labels["a b"]'],
  ];
  for (const [path, text] of table) {
    test(`${JSON.stringify(path)} is written ${JSON.stringify(text)}`, () =>
      assert.equal(formatPath(path), text));
  }
});

describe("issue values and messages", () => {
  test("strings over 200 characters are truncated", () => {
    assert.equal(previewValue("x".repeat(500)), `${"x".repeat(200)}...`);
    assert.equal(previewValue("x".repeat(200)), "x".repeat(200));
  });

  test("deep structures are summarised after three levels", () => {
    assert.deepEqual(previewValue({ a: { b: { c: { d: 1 } } } }), {
      a: { b: { c: "{object with 1 key}" } },
    });
    assert.deepEqual(previewValue([[[[1, 2]]]]), [[["[array of 2 items]"]]]);
  });

  test("long arrays keep their first twenty items and say how many more there were", () => {
    const preview = previewValue(Array.from({ length: 25 }, (_, i) => i)) as unknown[];
    assert.equal(preview.length, 21);
    assert.equal(preview[20], "... 5 more");
  });

  test("an issue about an absent field has no value and says it is required", () => {
    assert.deepEqual(makeIssue(["spec", "podSelector"], "required", "is required"), {
      path: "spec.podSelector",
      rule: "required",
      message: "Field spec.podSelector is required.",
    });
  });

  test("an issue at the root talks about the input", () => {
    assert.equal(
      makeIssue([], "invalid_type", "must be an object", 5).message,
      "The input must be an object; received 5.",
    );
  });

  test("a validator that throws becomes an internal_error issue instead", () => {
    const result = guarded(() => {
      throw new RangeError("boom");
    });
    assert.deepEqual(result.ok ? [] : result.issues.map((i) => i.rule), ["internal_error"]);
  });
});

describe("__proto__ keys", () => {
  test("own __proto__ keys are found at any depth with their paths", () => {
    const input = JSON.parse('{"a":{"__proto__":1},"b":[{"c":{"__proto__":{}}}]}');
    assert.deepEqual(
      findProtoKeys(input)
        .map((p) => p.join("/"))
        .sort(),
      ["a/__proto__", "b/0/c/__proto__"],
    );
  });

  test("the search stops at a bounded depth on deeply nested input", () => {
    let deep: unknown = JSON.parse('{"__proto__":1}');
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.deepEqual(findProtoKeys(deep), []);
  });
});
