// The JSON depth bound read from the text: brackets count only outside strings, escapes included.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkJsonTextDepth, MAX_BODY_DEPTH } from "./nesting.ts";

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("checkJsonTextDepth", () => {
  it("accepts the maximum depth and refuses one level more", () => {
    assert.doesNotThrow(() => checkJsonTextDepth(nested(MAX_BODY_DEPTH)));
    assert.throws(() => checkJsonTextDepth(nested(MAX_BODY_DEPTH + 1)), /deeper than 100 levels/);
    assert.throws(() => checkJsonTextDepth(`{"a":${nested(MAX_BODY_DEPTH)}}`), /deeper/);
  });

  it("ignores brackets inside strings, also after escaped quotes and backslashes", () => {
    const deepText = "[".repeat(MAX_BODY_DEPTH * 2);
    for (const value of [deepText, `\\"${deepText}`, `\\\\${deepText}`, `a\\u005b${deepText}`]) {
      const text = `{"labels":{"k":${JSON.stringify(value)}}}`;
      assert.doesNotThrow(() => JSON.parse(text));
      assert.doesNotThrow(() => checkJsonTextDepth(text), text.slice(0, 40));
    }
  });

  it("counts depth per level, not per bracket seen: siblings do not add up", () => {
    const siblings = `[${Array.from({ length: 500 }, () => "[1]").join(",")}]`;
    assert.doesNotThrow(() => checkJsonTextDepth(siblings));
  });
});
