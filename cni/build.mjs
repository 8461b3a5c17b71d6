#!/usr/bin/env node
// Builds the `palisade` CNI plugin (cni/plugin/*.c, plain C11 and libc) into cni/build/palisade.
// Run by `npm install` / `npm ci` after the BPF build, and by `npm run build:cni`. The binary is
// written to a temporary name and renamed, so a test or an install reading it never sees half a
// file. Fails naming the Debian package to install when the compiler is missing.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "plugin");
const output = join(here, "build", "palisade");
const compiler = process.env.CC || "cc";

if (spawnSync("sh", ["-c", `command -v ${compiler}`], { stdio: "ignore" }).status !== 0) {
  console.error(`[cni build] missing: a C compiler (${compiler})`);
  console.error("[cni build] install it with: apt-get install -y gcc (libc6-dev comes with it)");
  process.exit(1);
}

const files = readdirSync(source)
  .filter((name) => name.endsWith(".c"))
  .sort()
  .map((name) => join(source, name));
const temporary = `${output}.tmp-${process.pid}`;
mkdirSync(dirname(output), { recursive: true });
const args = ["-std=c11", "-Wall", "-Wextra", "-O2", "-o", temporary, ...files];
const result = spawnSync(compiler, args, { stdio: "inherit" });
if (result.status !== 0) {
  rmSync(temporary, { force: true });
  console.error(`[cni build] failed: ${compiler} ${args.join(" ")} (exit ${result.status})`);
  process.exit(result.status ?? 1);
}
renameSync(temporary, output);
console.log("[cni build] ok: cni/build/palisade");
