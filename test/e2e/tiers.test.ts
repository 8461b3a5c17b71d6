// ClusterNetworkPolicy end to end: the tier cases (cases/tiers.cases.ts) on one node, and the
// multiNode ones across two (pods a and c on node-a, b on node-b), with real TCP and UDP traffic.
import { after, before, describe, it } from "node:test";
import { AUDIT_CASES, TIER_CASES } from "./cases/tiers.cases.ts";
import { type CaseContext, caseContext, PORTS } from "./conformance.cases.ts";
import { type Cluster, startCluster } from "./harness/cluster.ts";
import { conformanceSpec } from "./harness/pods.ts";
import { e2eSkipReason } from "./harness/skip.ts";

/** As the multi-node suite places pods (not imported: that would register its tests here). */
const nodeOf = (pod: string) => (pod === "b" ? "node-b" : "node-a");

for (const nodes of [["node-a"], ["node-a", "node-b"]]) {
  describe(`ClusterNetworkPolicy on ${nodes.length} node(s)`, { skip: e2eSkipReason() }, () => {
    let cluster: Cluster;
    let ctx: CaseContext;
    before(async () => {
      cluster = await startCluster(
        conformanceSpec(nodes, nodes.length === 1 ? () => "node-a" : nodeOf, PORTS),
      );
      ctx = caseContext(cluster);
    });
    after(async () => {
      await cluster?.teardown();
    });
    for (const c of [...TIER_CASES, ...AUDIT_CASES].filter((c) => nodes.length === 1 || c.multiNode)) {
      it(c.name, async () => {
        await cluster.reset();
        await c.run(ctx);
      });
    }
  });
}
