#!/usr/bin/env node
// The project's one test command: type-check, lint, then every *.test.ts under node's test runner.
// Usage: node scripts/test.mjs [--no-check] [path-filter ...]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const roots = ["api", "agent", "db", "bpf", "cli", "cni", "wire", "lib", "test"];
const args = process.argv.slice(2);
const skipChecks = args.includes("--no-check");
const filters = args.filter((a) => !a.startsWith("--"));

function run(cmd, cmdArgs) {
  console.log(`\n$ ${cmd} ${cmdArgs.join(" ")}`);
  const result = spawnSync(cmd, cmdArgs, { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function findTests(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".test.ts") && !e.parentPath.includes("node_modules"))
    .map((e) => join(e.parentPath, e.name));
}

if (!skipChecks) {
  run("npx", ["tsc", "--noEmit"]);
  run("npx", ["biome", "check", "."]);
}
const files = roots
  .flatMap(findTests)
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
run(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files]);
