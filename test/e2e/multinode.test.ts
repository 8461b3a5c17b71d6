// The conformance cases marked multiNode, with two agents (node-a, node-b) on one host and the
// pods split between them (a and c on node-a, b on node-b), so most cells cross nodes: the
// source's egress is enforced by one agent and the destination's ingress by the other.
import { after, before, describe, it } from "node:test";
import { CASES, type CaseContext, caseContext, PORTS } from "./conformance.cases.ts";
import { type Cluster, startCluster } from "./harness/cluster.ts";
import { conformanceSpec } from "./harness/pods.ts";
import { e2eSkipReason } from "./harness/skip.ts";

export const nodeOf = (pod: string) => (pod === "b" ? "node-b" : "node-a");

describe("NetworkPolicy conformance across two nodes", { skip: e2eSkipReason() }, () => {
  let cluster: Cluster;
  let ctx: CaseContext;
  before(async () => {
    cluster = await startCluster(conformanceSpec(["node-a", "node-b"], nodeOf, PORTS));
    ctx = caseContext(cluster);
  });
  after(async () => {
    await cluster?.teardown();
  });

  for (const c of CASES.filter((c) => c.multiNode)) {
    it(c.name, async () => {
      await cluster.reset();
      await c.run(ctx);
    });
  }
});
