// Measures the `palisade` CNI plugin's own start-to-exit time (spawn to exit, as a runtime sees
// it): VERSION, answered by the plugin alone, and an ADD forwarded to an instant fake agent (the
// agent's wait for enforcement excluded), against Debian's /usr/lib/cni/loopback VERSION as the
// baseline of a Go plugin, interleaved in the same run so machine noise hits all three alike.
// Usage: node --import tsx bench/cni/plugin-startup.ts [--runs N]
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePluginBuilt, runPlugin, startFakeAgent } from "../../cni/testing.ts";
import { spread } from "../control-plane/stats.ts";

const LOOPBACK = "/usr/lib/cni/loopback";
const runsFlag = process.argv.indexOf("--runs");
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 200;
const WARMUP = 10;

const prevResult = {
  cniVersion: "1.0.0",
  interfaces: [
    { name: "palisade0", mac: "aa:bb:cc:dd:ee:ff" },
    { name: "veth1234", mac: "11:22:33:44:55:66" },
    { name: "eth0", mac: "66:55:44:33:22:11", sandbox: "/var/run/netns/cni-bench" },
  ],
  ips: [{ address: "10.222.0.5/24", gateway: "10.222.0.1", interface: 2 }],
  routes: [],
  dns: {},
};

const plugin = ensurePluginBuilt();
const dir = mkdtempSync(join(tmpdir(), "palisade-cni-bench-"));
const socket = join(dir, "agent.sock");
const answer = JSON.stringify(prevResult);
const agent = await startFakeAgent(socket, () => ({ exitCode: 0, stdout: answer }));
const addConfig = JSON.stringify({
  cniVersion: "1.0.0",
  name: "palisade",
  type: "palisade",
  agentSocket: socket,
  namespace: "default",
  prevResult,
});
const addEnv = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "bench",
  CNI_NETNS: "/var/run/netns/cni-bench",
  CNI_IFNAME: "eth0",
  CNI_ARGS: "K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench",
  CNI_PATH: "/usr/lib/cni",
};
const versionStdin = '{"cniVersion":"1.0.0"}';

const cases = [
  ...(existsSync(LOOPBACK)
    ? [
        {
          name: "loopback VERSION (baseline)",
          run: () => runPlugin({ CNI_COMMAND: "VERSION" }, versionStdin, LOOPBACK),
        },
      ]
    : []),
  { name: "palisade VERSION", run: () => runPlugin({ CNI_COMMAND: "VERSION" }, versionStdin, plugin) },
  { name: "palisade ADD, forwarded", run: () => runPlugin(addEnv, addConfig, plugin) },
];
const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));

try {
  for (let i = 0; i < WARMUP + runs; i++) {
    for (const c of cases) {
      const result = await c.run();
      if (result.code !== 0)
        throw new Error(`${c.name} exited ${result.code}: ${result.stdout}${result.stderr}`);
      if (i >= WARMUP) samples.get(c.name)?.push(result.ms);
    }
  }
} finally {
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
}

const baseline = existsSync(LOOPBACK) ? spread(samples.get(cases[0]?.name ?? "") ?? []).p50 : undefined;
const fmt = (ms: number) => ms.toFixed(2).padStart(7);
console.log(`spawn to exit, ${runs} runs each (after ${WARMUP} warm-up), milliseconds`);
console.log(`${"case".padEnd(30)}     p50     p99     min     max  p50 vs baseline`);
for (const [name, values] of samples) {
  const s = spread(values);
  const ratio = baseline === undefined ? "" : `${(s.p50 / baseline).toFixed(2)}x`;
  console.log(`${name.padEnd(30)} ${fmt(s.p50)} ${fmt(s.p99)} ${fmt(s.min)} ${fmt(s.max)}  ${ratio}`);
}
if (baseline === undefined) {
  console.log(`(no ${LOOPBACK}: apt-get install containernetworking-plugins for the baseline)`);
}
