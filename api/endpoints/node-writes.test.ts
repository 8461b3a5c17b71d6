// Endpoints written by a node credential (the CNI path): own node only, ownership, deny-all while
// the labels are pending.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { createTestApp, type TestApp } from "../testing.ts";

const ep = (node: string, iface: string, ip: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ labels: { app: "web" }, node, interface: iface, ips: [ip], ...extra });

describe("endpoints written by a node credential", () => {
  let t: TestApp;
  let n1: string;
  let n2: string;
  const asNode = (cred: string) => ({ headers: { authorization: `Bearer ${cred}` } });

  async function enroll(node: string): Promise<string> {
    const token = await t.call("POST", "/v1/enrollment-tokens", JSON.stringify({}));
    const res = await t.call("POST", "/v1/enroll", JSON.stringify({ token: token.body.token, node }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.credential;
  }

  before(async () => {
    t = createTestApp();
    n1 = await enroll("n1");
    n2 = await enroll("n2");
  });

  it("creates its own node's endpoint, and the namespace when it is missing", async () => {
    const workload = { runtime: "containerd", containerId: "abc123", netns: "/var/run/netns/cni-1" };
    const res = await t.call(
      "PUT",
      "/v1/namespaces/pods/endpoints/web",
      ep("n1", "veth1", "10.7.0.2", { workload }),
      asNode(n1),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.managedBy, "node/n1");
    const got = await t.call("GET", "/v1/namespaces/pods/endpoints/web", undefined, asNode(n1));
    assert.deepEqual(got.body.workload, workload);
    const ns = await t.call("GET", "/v1/namespaces/pods");
    assert.equal(ns.body.labels["kubernetes.io/metadata.name"], "pods");
  });

  it("refuses another node's endpoint (403) and every other route (401)", async () => {
    const other = await t.call(
      "PUT",
      "/v1/namespaces/pods/endpoints/x",
      ep("n1", "veth9", "10.7.0.9"),
      asNode(n2),
    );
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, "auth.forbidden");
    assert.equal((await t.call("GET", "/v1/namespaces", undefined, asNode(n1))).status, 401);
    assert.equal((await t.call("GET", "/v1/nodes/n1/endpoints", undefined, asNode(n2))).status, 401);
    const forced = await t.call(
      "DELETE",
      "/v1/namespaces/pods/endpoints/web?force=true",
      undefined,
      asNode(n1),
    );
    assert.equal(forced.status, 403);
    assert.equal(
      (await t.call("GET", "/v1/namespaces/pods/endpoints/web", undefined, asNode(n2))).status,
      403,
    );
  });

  it("keeps a node's endpoint from other writers unless they force it, and the reverse", async () => {
    const before = t.store.revision();
    const admin = await t.call("PUT", "/v1/namespaces/pods/endpoints/web", ep("n1", "veth1", "10.7.0.2"));
    assert.equal(admin.status, 409);
    assert.equal(admin.body.error.code, "endpoint.managed");
    const bundle = [
      {
        apiVersion: "palisade.dev/v1",
        kind: "Endpoint",
        metadata: { namespace: "pods", name: "web" },
        spec: { node: "n1", interface: "veth1", ips: ["10.7.0.2"] },
      },
    ];
    assert.equal((await t.call("POST", "/v1/apply", JSON.stringify(bundle))).status, 409);
    assert.equal((await t.call("DELETE", "/v1/namespaces/pods/endpoints/web")).status, 409);
    assert.equal(
      (await t.call("DELETE", "/v1/namespaces/pods/endpoints/web", undefined, asNode(n2))).status,
      409,
    );
    assert.equal(t.store.revision(), before);

    assert.equal(
      (await t.call("PUT", "/v1/namespaces/pods/endpoints/api", ep("n1", "veth2", "10.7.0.3"))).status,
      201,
    );
    const taken = await t.call(
      "PUT",
      "/v1/namespaces/pods/endpoints/api",
      ep("n1", "veth2", "10.7.0.3"),
      asNode(n1),
    );
    assert.equal(taken.status, 409);
    assert.match(taken.body.error.message, /not managed by node\/n1/);
    const forced = await t.call(
      "PUT",
      "/v1/namespaces/pods/endpoints/web?force=true",
      ep("n1", "veth1", "10.7.0.2"),
    );
    assert.equal(forced.status, 200);
    assert.equal(forced.body.managedBy, undefined);
  });

  it("lists its node's endpoints across namespaces and deletes its own", async () => {
    await t.call("PUT", "/v1/namespaces/other/endpoints/db", ep("n1", "veth3", "10.7.0.4"), asNode(n1));
    const list = await t.call("GET", "/v1/nodes/n1/endpoints", undefined, asNode(n1));
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.items.map((e: { namespace: string; name: string }) => `${e.namespace}/${e.name}`),
      ["other/db", "pods/api", "pods/web"],
    );
    const del = await t.call("DELETE", "/v1/namespaces/other/endpoints/db", undefined, asNode(n1));
    assert.equal(del.status, 200);
    assert.equal(
      (await t.call("DELETE", "/v1/namespaces/other/endpoints/db", undefined, asNode(n1))).status,
      404,
    );
  });

  it("deletes for one container only while the endpoint still belongs to it", async () => {
    const workload = (containerId: string) => ({ runtime: "cri", containerId, netns: "/var/run/netns/x" });
    const put = (containerId: string) =>
      t.call(
        "PUT",
        "/v1/namespaces/pods/endpoints/again",
        ep("n1", "veth6", "10.7.0.8", { workload: workload(containerId) }),
        asNode(n1),
      );
    assert.equal((await put("old")).status, 201);
    assert.equal((await put("new")).status, 200);
    const late = await t.call(
      "DELETE",
      "/v1/namespaces/pods/endpoints/again?containerId=old",
      undefined,
      asNode(n1),
    );
    assert.equal(late.status, 409);
    assert.equal(late.body.error.code, "endpoint.container_changed");
    assert.equal(
      (await t.call("GET", "/v1/namespaces/pods/endpoints/again")).body.workload.containerId,
      "new",
    );
    const own = await t.call(
      "DELETE",
      "/v1/namespaces/pods/endpoints/again?containerId=new",
      undefined,
      asNode(n1),
    );
    assert.equal(own.status, 200);
  });

  it("compiles an endpoint whose labels are pending as deny-all both ways, whatever the policies", async () => {
    await t.call(
      "PUT",
      "/v1/namespaces/pods/endpoints/new",
      ep("n1", "veth4", "10.7.0.5", { labelsPending: true }),
      asNode(n1),
    );
    const entry = () => t.store.engine.nodeState("n1").endpoints.find((e) => e.interface === "veth4")!;
    assert.deepEqual([entry().ingressIsolated, entry().egressIsolated, entry().policySetId], [true, true, 0]);
    const ask = {
      source: { ip: "10.7.0.2" },
      destination: { endpoint: { namespace: "pods", name: "new" } },
      port: 80,
    };
    assert.equal((await t.call("POST", "/v1/evaluate", JSON.stringify(ask))).body.verdict, "deny");
    // Once the labels are known, the endpoint is not isolated (no policy selects it).
    await t.call("PUT", "/v1/namespaces/pods/endpoints/new", ep("n1", "veth4", "10.7.0.5"), asNode(n1));
    assert.deepEqual([entry().ingressIsolated, entry().egressIsolated], [false, false]);
    assert.equal((await t.call("POST", "/v1/evaluate", JSON.stringify(ask))).body.verdict, "allow");
  });

  it("refuses a malformed workload and force value with the field named", async () => {
    const bad = await t.call(
      "PUT",
      "/v1/namespaces/pods/endpoints/w",
      ep("n1", "veth5", "10.7.0.6", { workload: { runtime: "containerd", containerId: "a b", netns: "/x" } }),
      asNode(n1),
    );
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.issues[0].path, "workload.containerId");
    const force = await t.call("DELETE", "/v1/namespaces/pods/endpoints/w?force=yes");
    assert.equal(force.status, 422);
  });
});
