// Tests the real executable end to end: bin/palisade.mjs loads the CLI through tsx.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/palisade.mjs", import.meta.url));

test("node bin/palisade.mjs --help prints the overview and exits 0", () => {
  const result = spawnSync(process.execPath, [bin, "--help"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^palisade: /);
  assert.match(result.stdout, /Usage: palisade COMMAND \[flags\]/);
});

test("node bin/palisade.mjs with an unknown command exits 2", () => {
  const result = spawnSync(process.execPath, [bin, "frobnicate"], { encoding: "utf8", timeout: 30_000 });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown command "frobnicate"/);
});
