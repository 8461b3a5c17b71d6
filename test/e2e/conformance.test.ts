// Kubernetes NetworkPolicy conformance, end to end: real pods (network namespaces on a bridge), the
// real `palisade server` and `palisade agent --datapath bpf` processes, policies written through
// the REST API, and every expected matrix checked with real TCP and UDP traffic between pods.
import { after, before, describe, it } from "node:test";
import { CASES, type CaseContext, caseContext, PORTS } from "./conformance.cases.ts";
import { type Cluster, startCluster } from "./harness/cluster.ts";
import { conformanceSpec } from "./harness/pods.ts";
import { e2eSkipReason } from "./harness/skip.ts";

describe("NetworkPolicy conformance on one node", { skip: e2eSkipReason() }, () => {
  let cluster: Cluster;
  let ctx: CaseContext;
  before(async () => {
    cluster = await startCluster(conformanceSpec(["node-a"], () => "node-a", PORTS));
    ctx = caseContext(cluster);
  });
  after(async () => {
    await cluster?.teardown();
  });

  for (const c of CASES) {
    it(c.name, async () => {
      await cluster.reset();
      await c.run(ctx);
    });
  }
});
