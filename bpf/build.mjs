#!/usr/bin/env node
// Builds the datapath: BPF objects and the layout printer (make -C bpf), then the native addon
// (node-gyp in bpf/addon). Run by `npm install` / `npm ci`; fails naming the Debian packages to
// install when a tool or header is missing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { arch as osArch } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const multiarch =
  { x64: "x86_64-linux-gnu", arm64: "aarch64-linux-gnu" }[osArch()] ?? `${osArch()}-linux-gnu`;

const requirements = [
  { what: "clang (BPF compiler)", ok: () => onPath("clang"), pkg: "clang" },
  { what: "make", ok: () => onPath("make"), pkg: "make" },
  { what: "a C++ compiler (g++)", ok: () => onPath("g++") || onPath("c++"), pkg: "g++" },
  { what: "python3 (node-gyp)", ok: () => onPath("python3"), pkg: "python3" },
  { what: "libbpf headers", ok: () => existsSync("/usr/include/bpf/libbpf.h"), pkg: "libbpf-dev" },
  { what: "BPF helper headers", ok: () => existsSync("/usr/include/bpf/bpf_helpers.h"), pkg: "libbpf-dev" },
  { what: "libelf headers", ok: () => existsSync("/usr/include/gelf.h"), pkg: "libelf-dev" },
  { what: "zlib headers", ok: () => existsSync("/usr/include/zlib.h"), pkg: "zlib1g-dev" },
  { what: "kernel uapi headers", ok: () => existsSync("/usr/include/linux/bpf.h"), pkg: "linux-libc-dev" },
  {
    what: "architecture asm headers",
    ok: () => existsSync(`/usr/include/${multiarch}/asm/types.h`),
    pkg: "linux-libc-dev",
  },
];

function onPath(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function run(cmd, args, cwd) {
  console.log(`[bpf build] ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`[bpf build] failed: ${cmd} ${args.join(" ")} (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : undefined;
}

const missing = requirements.filter((r) => !r.ok());
if (missing.length > 0) {
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  console.error(`[bpf build] missing: ${missing.map((m) => m.what).join(", ")}`);
  console.error(`[bpf build] install them with: apt-get install -y ${pkgs.join(" ")}`);
  console.error(
    "[bpf build] (the full list: clang llvm libbpf-dev libelf-dev zlib1g-dev linux-libc-dev make g++ python3)",
  );
  process.exit(1);
}

run("make", ["-C", here, "-s"], root);
const gyp = join(root, "node_modules", "node-gyp", "bin", "node-gyp.js");
const dir = nodeDir();
run(
  process.execPath,
  [gyp, "rebuild", "--silent", ...(dir ? [`--nodedir=${dir}`] : [])],
  join(here, "addon"),
);
console.log("[bpf build] ok: bpf/build/*.bpf.o, bpf/build/layout, bpf/addon/build/Release/palisade_bpf.node");
