// Runs the shared datapath suite against the real BPF datapath (pinned maps and tcx links on veths).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { kernelTestSkipReason } from "../../bpf/lib/features.ts";
import { POLICY_OBJECT } from "../../bpf/lib/native.ts";
import { tempPinDir, tempVeth } from "../../bpf/lib/testing/kernel.ts";
import { runPrefix } from "../../lib/netns/names.ts";
import { BpfAgentDatapath } from "./bpf.ts";
import { datapathCases } from "./datapath.case.ts";

function skipReason(): string | undefined {
  const notRoot = kernelTestSkipReason();
  if (notRoot) return notRoot;
  if (!existsSync(POLICY_OBJECT))
    return `the BPF objects are not built (${POLICY_OBJECT}; run npm run build:bpf)`;
  return undefined;
}

const skip = skipReason();

datapathCases(
  "bpf",
  () => {
    const pins = skip ? undefined : tempPinDir();
    const veths = new Map<string, () => void>();
    return {
      open: (sizes) =>
        BpfAgentDatapath.open({ bpffs: join(pins!.dir, "agent"), sizes: { conntrack: 1024, ...sizes } }),
      async addInterface() {
        const v = tempVeth();
        veths.set(v.name, v.remove);
        return v.name;
      },
      async removeInterface(name) {
        veths.get(name)?.();
        veths.delete(name);
      },
      missingName: () => `${runPrefix()}m`,
      async cleanup() {
        for (const remove of veths.values()) remove();
        pins?.remove();
      },
    };
  },
  skip,
);
