// A write that stores the very same policy again compiles nothing; any difference still compiles.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compile, ns, pod, policy, rule, sel } from "./testing.ts";

describe("rewriting a policy", () => {
  const world = () => {
    const x = ns("x");
    const a = pod("x", "a", { app: "a" });
    const b = pod("x", "b", { app: "b" });
    const p = policy("x", "p", {
      podSelector: sel({ app: "a" }),
      ingress: [rule([{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }], [])],
    });
    return { objects: [x, a, b, p], p };
  };

  it("recomputes no set and yields no delta when the policy is unchanged", () => {
    const { objects, p } = world();
    const engine = compile(objects);
    const again = engine.apply([{ kind: "policy", op: "upsert", id: 4, value: structuredClone(p) }]);
    assert.equal(again.setsRecomputed, 0);
    assert.deepEqual(again.changes.nodes, {});
    assert.deepEqual(again.changes.sets, {});
  });

  it("recomputes when anything differs, annotations included", () => {
    const { objects, p } = world();
    const engine = compile(objects);
    const annotated = { ...structuredClone(p), annotations: { "palisade.dev/note": "x" } };
    assert.ok(engine.apply([{ kind: "policy", op: "upsert", id: 4, value: annotated }]).setsRecomputed > 0);
    const narrowed = structuredClone(annotated);
    narrowed.spec.ingress[0]!.peers[0]!.ipBlock!.except = ["10.2.0.0/16"];
    const changed = engine.apply([{ kind: "policy", op: "upsert", id: 4, value: narrowed }]);
    assert.ok(changed.setsRecomputed > 0);
    assert.ok(Object.keys(changed.changes.nodes).length > 0 || changed.changes.ipcache.upsert.length > 0);
  });
});
