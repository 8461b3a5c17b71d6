// Runs the shared datapath suite against the in-memory datapath.
import { datapathCases } from "./datapath.case.ts";
import { VirtualInterfaces } from "./interfaces.ts";
import { MemoryAgentDatapath } from "./memory.ts";

let run = 0;

datapathCases("memory", () => {
  const interfaces = new VirtualInterfaces({ autoCreate: false });
  const pinKey = `memory-case-${++run}`;
  let made = 0;
  let last: MemoryAgentDatapath | undefined;
  return {
    async open(sizes) {
      last = new MemoryAgentDatapath({ pinKey, interfaces, ...(sizes ? { sizes } : {}) });
      return last;
    },
    async addInterface() {
      const name = `veth${run}x${++made}`;
      interfaces.add(name);
      return name;
    },
    async removeInterface(name) {
      interfaces.remove(name);
    },
    missingName: () => `missing${run}`,
    async cleanup() {
      await new MemoryAgentDatapath({ pinKey, interfaces }).destroy();
      void last;
    },
  };
});
