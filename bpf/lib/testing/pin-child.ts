// Run as a separate process by the pinning tests: loads the datapath with a pin dir, attaches to
// an interface, writes one ipcache entry, and exits (pinned maps and links must outlive it).
import { BpfDatapath } from "../datapath.ts";
import { applyIpcache } from "../datapath-maps.ts";

const [pinDir, ifname, mode] = process.argv.slice(2);
const dp = await BpfDatapath.load({
  pinDir: pinDir!,
  sizes: { ipcache: 1024, policies: 1024, conntrack: 1024 },
});
dp.attach(ifname!, { mode: (mode as "tcx" | "legacy" | undefined) ?? "auto" });
await applyIpcache(dp.collection, {
  upsert: [{ prefix: "10.77.0.0/16", identity: 4242, prefixIdentity: 0 }],
});
dp.close();
console.log("attached");
