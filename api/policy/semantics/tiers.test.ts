// ClusterNetworkPolicy semantics, each case written from the network-policy-api v1alpha2 API
// documentation (tiers, priority, rule order, Pass, empty vs absent lists) and checked on both the
// reference semantics and the compiled entries.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cnp, crule, ns, pod, policy, rule, sel } from "../compiler/testing.ts";
import { Case } from "./testing.ts";

const x = ns("x", { team: "x" });
const y = ns("y", { team: "y" });
const z = ns("z", { team: "z" });

function world() {
  const xa = pod("x", "a", { app: "a" });
  const xb = pod("x", "b", { app: "b" }, { ports: [{ name: "http", port: 80, protocol: "TCP" }] });
  const ya = pod("y", "a", { app: "a" });
  const yb = pod("y", "b", { app: "b" }, { ports: [{ name: "http", port: 8080, protocol: "TCP" }] });
  const za = pod("z", "a", { app: "a" });
  return { xa, xb, ya, yb, za, base: [x, y, z, xa, xb, ya, yb, za] };
}

const nsX = { namespaces: sel({ team: "x" }) };
const nsY = { namespaces: sel({ team: "y" }) };
const allNs = { namespaces: sel() };
const tcp = (port: number, endPort?: number) =>
  endPort === undefined ? { protocol: "TCP" as const, port } : { protocol: "TCP" as const, port, endPort };
const udp = (port: number) => ({ protocol: "UDP" as const, port });

describe("ClusterNetworkPolicy tiers (upstream semantics)", () => {
  it("Admin Deny wins over a NetworkPolicy that allows", () => {
    const w = world();
    const np = policy("x", "allow-y", { ingress: [rule([{ namespaceSelector: sel({ team: "y" }) }])] });
    const deny = cnp("deny-y", { subject: nsX, ingress: [crule("Deny", [nsY])] });
    const c = new Case([...w.base, np, deny]);
    const r = c.expect(w.ya, w.xa, "deny");
    assert.equal(r.ingress?.by, "admin");
    assert.equal(r.ingress?.policy, "deny-y");
    c.expect(w.xb, w.xa, "deny", "TCP", 80); // NetworkPolicy isolates; only y is allowed by it
    c.expect(w.za, w.ya, "allow");
  });

  it("Admin Accept wins over NetworkPolicy isolation (default deny)", () => {
    const w = world();
    const denyAll = policy("x", "deny-all", { policyTypes: ["Ingress"] });
    const accept = cnp("accept-y", { subject: nsX, ingress: [crule("Accept", [nsY])] });
    const c = new Case([...w.base, denyAll, accept]);
    c.expect(w.ya, w.xa, "allow");
    c.expect(w.za, w.xa, "deny");
  });

  it("lower priority values are evaluated first", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("deny", { priority: 20, subject: nsX, ingress: [crule("Deny", [nsY])] }),
      cnp("accept", { priority: 10, subject: nsX, ingress: [crule("Accept", [nsY])] }),
      policy("x", "deny-all", { policyTypes: ["Ingress"] }),
    ]);
    const r = c.expect(w.ya, w.xa, "allow");
    assert.equal(r.ingress?.policy, "accept");
  });

  it("equal priority: one of the matching policies decides (Palisade: the lower id)", () => {
    const w = world();
    const objs = [
      ...w.base,
      cnp("first", { priority: 5, subject: nsX, ingress: [crule("Deny", [nsY])] }),
      cnp("second", { priority: 5, subject: nsX, ingress: [crule("Accept", [nsY])] }),
    ];
    const c = new Case(objs);
    // Upstream leaves the choice to the implementation; ours is stable: the lower id decides.
    c.expect(w.ya, w.xa, "deny");
    const swapped = new Case([...w.base, objs[objs.length - 1]!, objs[objs.length - 2]!]);
    swapped.expect(w.ya, w.xa, "allow");
  });

  it("within a policy, the first matching rule wins (rule order is precedence)", () => {
    const w = world();
    const accept80ThenDeny = cnp("a", {
      subject: nsX,
      ingress: [crule("Accept", [nsY], [tcp(80)]), crule("Deny", [nsY])],
    });
    const c = new Case([...w.base, accept80ThenDeny]);
    c.expect(w.ya, w.xa, "allow", "TCP", 80);
    c.expect(w.ya, w.xa, "deny", "TCP", 81);
    c.expect(w.ya, w.xa, "deny", "UDP", 80);
    c.expect(w.ya, w.xa, "deny", "ICMP", 0);
    // The other way round, the broad Deny comes first and shadows the narrower Accept: the
    // longest-prefix entry for port 80 must not win over the earlier rule.
    const denyThenAccept80 = cnp("b", {
      subject: nsX,
      ingress: [crule("Deny", [nsY]), crule("Accept", [nsY], [tcp(80)])],
    });
    const d = new Case([...w.base, denyThenAccept80]);
    d.expect(w.ya, w.xa, "deny", "TCP", 80);
    d.expect(w.ya, w.xa, "deny", "TCP", 81);
  });

  it("a higher-priority port range beats a lower-priority single port, and the reverse", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("range", { priority: 1, subject: nsX, ingress: [crule("Deny", [nsY], [tcp(8000, 8999)])] }),
      cnp("port", { priority: 2, subject: nsX, ingress: [crule("Accept", [nsY], [tcp(8080)])] }),
      policy("x", "deny-all", { policyTypes: ["Ingress"] }),
    ]);
    c.expect(w.ya, w.xa, "deny", "TCP", 8080);
    c.expect(w.ya, w.xa, "deny", "TCP", 8000);
    c.expect(w.ya, w.xa, "deny", "TCP", 9000); // no CNP match: NetworkPolicy isolates
    const d = new Case([
      ...w.base,
      cnp("range", { priority: 2, subject: nsX, ingress: [crule("Deny", [nsY], [tcp(8000, 8999)])] }),
      cnp("port", { priority: 1, subject: nsX, ingress: [crule("Accept", [nsY], [tcp(8080)])] }),
    ]);
    d.expect(w.ya, w.xa, "allow", "TCP", 8080);
    d.expect(w.ya, w.xa, "deny", "TCP", 8081);
    d.expect(w.ya, w.xa, "deny", "TCP", 8999);
    d.expect(w.ya, w.xa, "allow", "TCP", 9000);
  });

  it("Pass skips the rest of the Admin tier and hands the decision to NetworkPolicy", () => {
    const w = world();
    const pass = cnp("pass-y", { priority: 1, subject: nsX, ingress: [crule("Pass", [nsY])] });
    const deny = cnp("deny-all", { priority: 2, subject: nsX, ingress: [crule("Deny", [allNs])] });
    // No NetworkPolicy: the default allows what was passed; the rest is denied.
    const c = new Case([...w.base, pass, deny]);
    const r = c.expect(w.ya, w.xa, "allow");
    assert.equal(r.ingress?.by, "default");
    assert.deepEqual(r.ingress?.passed, { policy: "pass-y", rule: 0 });
    c.expect(w.za, w.xa, "deny");
    // With a NetworkPolicy that isolates and allows only x: the passed traffic from y is denied.
    const np = policy("x", "only-x", { ingress: [rule([{ podSelector: sel() }])] });
    const d = new Case([...w.base, pass, deny, np]);
    d.expect(w.ya, w.xa, "deny");
    d.expect(w.xb, w.xa, "deny"); // Admin deny-all still applies to what was not passed
  });

  it("Pass hands over to Baseline when no NetworkPolicy selects the pod", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("pass", { priority: 1, subject: nsX, ingress: [crule("Pass", [nsY])] }),
      cnp("base-deny", { tier: "Baseline", priority: 1, subject: nsX, ingress: [crule("Deny", [nsY])] }),
    ]);
    const r = c.expect(w.ya, w.xa, "deny");
    assert.equal(r.ingress?.by, "baseline");
  });

  it("Baseline applies only where no NetworkPolicy isolates the pod in that direction", () => {
    const w = world();
    const base = cnp("base-deny", {
      tier: "Baseline",
      subject: allNs,
      ingress: [crule("Deny", [allNs])],
      egress: [crule("Deny", [allNs])],
    });
    const np = policy("x", "allow-y", {
      podSelector: sel({ app: "a" }),
      policyTypes: ["Ingress"],
      ingress: [rule([{ namespaceSelector: sel({ team: "y" }) }])],
    });
    const c = new Case([...w.base, base, np]);
    c.expect("198.51.100.7", w.xb, "allow"); // no Baseline rule names outside addresses
    // x/a's ingress is isolated by NetworkPolicy, which allows y: Baseline is not consulted for
    // it; but y/a's egress is not isolated, so Baseline denies it there.
    const r = c.expect(w.ya, w.xa, "deny");
    assert.equal(r.ingress?.by, "networkpolicy");
    assert.equal(r.ingress?.verdict, "allow");
    assert.equal(r.egress?.by, "baseline");
    c.expect(w.xb, w.ya, "deny"); // Baseline denies both ways for unselected pods
    const open = new Case([
      ...w.base,
      np,
      cnp("base-deny-in", { tier: "Baseline", subject: allNs, ingress: [crule("Deny", [allNs])] }),
    ]);
    open.expect(w.ya, w.xa, "allow");
    open.expect(w.za, w.xa, "deny"); // NetworkPolicy isolates and does not allow z
    open.expect(w.xa, w.ya, "deny"); // y/a is not selected by a NetworkPolicy: Baseline denies
  });

  it("Baseline Accept does not override a NetworkPolicy denial", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("base-accept", { tier: "Baseline", subject: nsX, ingress: [crule("Accept", [allNs])] }),
      policy("x", "deny-all", { policyTypes: ["Ingress"] }),
    ]);
    c.expect(w.ya, w.xa, "deny");
  });

  it("egress to networks matches outside addresses and pod addresses alike", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("no-meta", {
        subject: allNs,
        egress: [
          crule("Deny", [{ networks: ["169.254.0.0/16"] }]),
          crule("Deny", [{ networks: [w.yb.ips[0]!.replace(/\.\d+$/, ".0/24")] }], [udp(53)]),
        ],
      }),
    ]);
    c.expect(w.xa, "169.254.169.254", "deny");
    c.expect(w.xa, "169.255.0.1", "allow");
    c.expect(w.xa, w.yb, "deny", "UDP", 53);
    c.expect(w.xa, w.yb, "allow", "TCP", 53);
  });

  it("port ranges and named ports", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("ports", {
        subject: allNs,
        ingress: [crule("Deny", [allNs], [tcp(8000, 8080)]), crule("Deny", [allNs], [{ namedPort: "http" }])],
      }),
    ]);
    c.expect(w.xa, w.ya, "deny", "TCP", 8000);
    c.expect(w.xa, w.ya, "deny", "TCP", 8080);
    c.expect(w.xa, w.ya, "allow", "TCP", 8081);
    c.expect(w.xa, w.ya, "allow", "UDP", 8000);
    c.expect(w.ya, w.xb, "deny", "TCP", 80); // x/b names port 80 http
    c.expect(w.ya, w.xa, "allow", "TCP", 80); // x/a has no port named http
    c.expect(w.xa, w.yb, "allow", "TCP", 80); // y/b's http is 8080
    c.expect(w.xa, w.yb, "deny", "TCP", 8080);
  });

  it("subjects by namespace and by pod", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("pods", {
        subject: { pods: { namespaceSelector: sel(), podSelector: sel({ app: "b" }) } },
        ingress: [crule("Deny", [{ pods: { namespaceSelector: sel({ team: "z" }), podSelector: sel() } }])],
      }),
    ]);
    c.expect(w.za, w.xb, "deny");
    c.expect(w.za, w.yb, "deny");
    c.expect(w.za, w.xa, "allow");
    c.expect(w.ya, w.xb, "allow");
  });

  it("a policy without ingress (or egress) rules does not affect that direction", () => {
    const w = world();
    const c = new Case([...w.base, cnp("egress-only", { subject: nsX, egress: [crule("Deny", [nsY])] })]);
    c.expect(w.ya, w.xa, "allow");
    c.expect(w.xa, w.ya, "deny");
  });

  it("a Deny without protocols blocks every protocol, ICMP included", () => {
    const w = world();
    const c = new Case([...w.base, cnp("d", { subject: nsX, ingress: [crule("Deny", [nsY], [tcp(80)])] })]);
    c.expect(w.ya, w.xa, "allow", "ICMP", 0);
    c.expect(w.ya, w.xa, "deny", "TCP", 80);
    const d = new Case([...w.base, cnp("d", { subject: nsX, ingress: [crule("Deny", [nsY])] })]);
    d.expect(w.ya, w.xa, "deny", "ICMP", 0);
    d.expect(w.ya, w.xa, "deny", "SCTP", 9);
  });
});

describe("per-policy audit mode (palisade.dev/mode: audit)", () => {
  const AUDIT = { "palisade.dev/mode": "audit" };

  it("a NetworkPolicy in audit mode never isolates: what it would drop passes as audit", () => {
    const w = world();
    const np = policy("x", "only-y", { ingress: [rule([{ namespaceSelector: sel({ team: "y" }) }])] });
    np.annotations = AUDIT;
    const c = new Case([...w.base, np]);
    c.expect(w.ya, w.xa, "allow");
    c.expect(w.za, w.xa, "audit");
    c.expect(w.xa, w.za, "allow"); // ingress only
  });

  it("an audited policy beside an enforced one: a deployed drop stays a drop", () => {
    const w = world();
    const enforced = policy("x", "only-y", { ingress: [rule([{ namespaceSelector: sel({ team: "y" }) }])] });
    const audited = policy("x", "only-y-80", {
      ingress: [rule([{ namespaceSelector: sel({ team: "y" }) }], [{ protocol: "TCP", port: 80 }])],
    });
    audited.annotations = AUDIT;
    const c = new Case([...w.base, enforced, audited]);
    c.expect(w.ya, w.xa, "allow", "TCP", 80);
    c.expect(w.ya, w.xa, "allow", "TCP", 81); // the audited policy only adds allows here
    c.expect(w.za, w.xa, "deny");
  });

  it("an Admin Deny in audit mode passes as audit; in enforce mode it drops", () => {
    const w = world();
    const spec = { subject: nsX, ingress: [crule("Deny", [nsY])] };
    new Case([...w.base, cnp("d", spec, AUDIT)]).expect(w.ya, w.xa, "audit");
    new Case([...w.base, cnp("d", spec)]).expect(w.ya, w.xa, "deny");
    new Case([...w.base, cnp("d", spec, { "palisade.dev/mode": "enforce" })]).expect(w.ya, w.xa, "deny");
  });

  it("an audited Admin Accept hides nothing: the enforced lower-priority Deny still drops", () => {
    const w = world();
    const c = new Case([
      ...w.base,
      cnp("accept", { priority: 1, subject: nsX, ingress: [crule("Accept", [nsY])] }, AUDIT),
      cnp("deny", { priority: 2, subject: nsX, ingress: [crule("Deny", [nsY])] }),
    ]);
    c.expect(w.ya, w.xa, "deny");
  });
});
