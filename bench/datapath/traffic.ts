// Real-traffic benchmark (not a test): iperf3 TCP between two namespace pods through the test
// bridge, with no filtering, with the BPF programs and 100,000 policy entries loaded, and with the
// same policy as iptables rules in the server pod's namespace; interleaved runs, medians.
// Usage: npm run bench:datapath:traffic [-- --quick]   (root; apt-get install iperf3 iptables)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BpfDatapath } from "../../bpf/lib/datapath.ts";
import { applyEndpoints, applyIpcache, applyPolicies } from "../../bpf/lib/datapath-maps.ts";
import { kernelTestSkipReason } from "../../bpf/lib/features.ts";
import { native } from "../../bpf/lib/native.ts";
import { endpoint } from "../../bpf/lib/verdict-fixtures.ts";
import { runPrefix } from "../../lib/netns/names.ts";
import { createTopology, type Pod, type Topology } from "../../lib/netns/topology.ts";
import { PROTO } from "../../wire/entries.ts";
import { policyEntries, prng } from "./entries.ts";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 3 : 5;
const SECONDS = quick ? 2 : 4;
const ENTRIES = 100_000;
const PORT = 5201;

function need(cmd: string, pkg: string): void {
  if (spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0)
    throw new Error(`${cmd} is missing: apt-get install -y ${pkg}`);
}

function iperf(t: Topology, from: Pod, to: Pod): number {
  const r = spawnSync(
    "ip",
    ["netns", "exec", from.netns, "iperf3", "-c", to.ip, "-p", String(PORT), "-t", String(SECONDS), "-J"],
    { encoding: "utf8" },
  );
  const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second: number } }; error?: string };
  if (!j.end?.sum_received) throw new Error(`iperf3 failed: ${j.error ?? r.stderr}`);
  void t;
  return j.end.sum_received.bits_per_second / 1e9;
}

async function loadBpf(t: Topology, a: Pod, b: Pod): Promise<BpfDatapath> {
  const dp = await BpfDatapath.load({
    sizes: { policies: ENTRIES + 1024 },
    events: { eventRate: 100, eventBurst: 100 },
  });
  const c = dp.collection;
  await applyPolicies(c, { upsert: policyEntries(ENTRIES) });
  await applyIpcache(c, {
    upsert: [
      { prefix: `${a.ip}/32`, identity: 1001, prefixIdentity: 0 },
      { prefix: `${b.ip}/32`, identity: 1002, prefixIdentity: 0 },
      { prefix: `${t.gateway}/32`, identity: 1, prefixIdentity: 0 },
    ],
  });
  await applyEndpoints(c, {
    upsert: [
      { ifindex: native().ifIndex(a.hostIf), entry: endpoint(1, 1001, 41, { ingress: true, egress: true }) },
      { ifindex: native().ifIndex(b.hostIf), entry: endpoint(2, 1002, 42, { ingress: true, egress: true }) },
    ],
  });
  const allow = (set: number, direction: "ingress" | "egress", id: number) => ({
    policySetId: set,
    direction,
    remoteIdentity: id,
    protocol: PROTO.TCP,
    port: PORT,
    portPrefixLen: 16,
    verdict: "allow" as const,
    policyId: 1,
    ruleIndex: 0,
  });
  await applyPolicies(c, { upsert: [allow(41, "egress", 1002), allow(42, "ingress", 1001)] });
  return dp;
}

/** The same policy as iptables rules in the server pod: 100,000 other allows, then A's, then drop. */
function loadIptables(b: Pod, a: Pod): void {
  const rnd = prng(7);
  const lines = ["*filter", ":PAL - [0:0]"];
  for (let i = 0; i < ENTRIES; i++) {
    const n = 0x0a800000 + Math.floor(rnd() * 0x7fffff);
    lines.push(
      `-A PAL -s ${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/32 -p tcp --dport ${1 + Math.floor(rnd() * 65000)} -j ACCEPT`,
    );
  }
  lines.push(`-A PAL -s ${a.ip}/32 -p tcp --dport ${PORT} -j ACCEPT`, "-A PAL -j DROP", "COMMIT", "");
  const file = join(tmpdir(), `palisade-bench-${process.pid}.rules`);
  writeFileSync(file, lines.join("\n"));
  const r = spawnSync("ip", ["netns", "exec", b.netns, "iptables-restore", "--noflush", file], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`iptables-restore: ${r.stderr}`);
}

function iptablesJump(b: Pod, on: boolean): void {
  const op = on ? "-A" : "-D";
  for (const rule of [
    ["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
    ["-j", "PAL"],
  ]) {
    spawnSync("ip", ["netns", "exec", b.netns, "iptables", op, "INPUT", ...rule]);
  }
}

function median(xs: number[]): number {
  return [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
}

async function main(): Promise<void> {
  const skip = kernelTestSkipReason();
  if (skip) throw new Error(skip);
  need("iperf3", "iperf3");
  need("iptables-restore", "iptables");
  const t = await createTopology({ prefix: runPrefix("b"), pods: ["a", "b"], serve: {} });
  let server: ChildProcess | undefined;
  let dp: BpfDatapath | undefined;
  try {
    const [a, b] = [t.pods[0]!, t.pods[1]!];
    server = spawn("ip", ["netns", "exec", b.netns, "iperf3", "-s", "-p", String(PORT)], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 500));
    dp = await loadBpf(t, a, b);
    loadIptables(b, a);
    const gbps: Record<string, number[]> = { none: [], bpf: [], iptables: [] };
    for (let r = 0; r < ROUNDS; r++) {
      gbps.none!.push(iperf(t, a, b));
      dp.attach(a.hostIf);
      dp.attach(b.hostIf);
      gbps.bpf!.push(iperf(t, a, b));
      dp.detach(a.hostIf);
      dp.detach(b.hostIf);
      iptablesJump(b, true);
      gbps.iptables!.push(iperf(t, a, b));
      iptablesJump(b, false);
    }
    const none = median(gbps.none!);
    console.log(`iperf3 TCP, ${SECONDS} s x ${ROUNDS} interleaved rounds, ${ENTRIES} entries, median Gbit/s`);
    for (const [mode, xs] of Object.entries(gbps)) {
      console.log(
        `  ${mode.padEnd(9)} ${median(xs).toFixed(2).padStart(7)}  (${((median(xs) / none) * 100).toFixed(1)}% of none)  runs: ${xs.map((x) => x.toFixed(2)).join(" ")}`,
      );
    }
  } finally {
    server?.kill("SIGKILL");
    dp?.close();
    t.teardown();
  }
}

await main();
