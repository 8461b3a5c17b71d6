// The label resolver: writes what the runtime says once it answers, moves a podman container to
// its namespace label, and never writes back a container whose DEL started meanwhile.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EndpointBody, EndpointsApi, StoredEndpoint } from "./endpoints-client.ts";
import { type Description, LabelResolver } from "./labels.ts";

function fakeApi() {
  const puts: { namespace: string; name: string; body: EndpointBody; replaces?: string }[] = [];
  const api: EndpointsApi = {
    put: async (namespace, name, body, replaces) => {
      puts.push({ namespace, name, body, ...(replaces ? { replaces } : {}) });
      return { revision: puts.length };
    },
    get: async () => null,
    delete: async () => null,
    listOwn: async () => [],
  };
  return { api, puts };
}

const endpoint: StoredEndpoint = {
  namespace: "apps",
  name: "web",
  labels: {},
  node: "n1",
  interface: "veth1",
  ips: ["198.18.0.2"],
  workload: { runtime: "podman", containerId: "c1", netns: "/run/netns/x" },
  labelsPending: true,
};

describe("LabelResolver", () => {
  it("polls until the runtime answers, then writes the labels (and the namespace label as a move)", async () => {
    const { api, puts } = fakeApi();
    const answers: Description[] = [
      null,
      null,
      { state: "running", labels: { app: "web", "palisade.dev/namespace": "shop" } },
    ];
    let sleeps = 0;
    const resolver = new LabelResolver({
      api,
      runtimes: { podman: { describe: async () => answers.shift() ?? null } },
      log: () => {},
      pollMs: [1, 1, 1, 1],
      sleep: async () => {
        sleeps++;
      },
    });
    resolver.track({ runtime: "podman", namespace: "apps", name: "web" }, endpoint);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sleeps, 2);
    assert.deepEqual(puts, [
      {
        namespace: "shop",
        name: "web",
        body: {
          labels: { app: "web" },
          node: "n1",
          interface: "veth1",
          ips: ["198.18.0.2"],
          workload: endpoint.workload,
        },
        replaces: "apps/web",
      },
    ]);
  });

  it("does not write a container whose DEL started while it was asking", async () => {
    const { api, puts } = fakeApi();
    let release: (d: Description) => void = () => {};
    const resolver = new LabelResolver({
      api,
      runtimes: { podman: { describe: () => new Promise<Description>((r) => (release = r)) } },
      log: () => {},
      pollMs: [1],
    });
    resolver.track({ runtime: "podman", namespace: "apps", name: "web" }, endpoint);
    await new Promise((r) => setTimeout(r, 5));
    resolver.cancel("c1");
    release({ state: "running", labels: { app: "web" } });
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(puts, []);
  });
});
