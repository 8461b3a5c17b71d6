// Tests validation properties with fast-check: no input throws, valid policies round-trip.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { validateEndpoint } from "./endpoint.ts";
import type { Validated } from "./issues.ts";
import { validateNamespace, validateNamespaceObject } from "./namespace.ts";
import { renderNetworkPolicy } from "./network-policy.render.ts";
import { validateNetworkPolicy } from "./network-policy.ts";

/** Raise with FC_RUNS=5000 for a longer local search. */
const RUNS = Number(process.env.FC_RUNS ?? 300);

/** A result is well formed: ok with a value, or issues with stable codes and sentence messages. */
function assertWellFormed(result: Validated<unknown>): void {
  if (result.ok) return;
  assert.ok(result.issues.length > 0);
  for (const issue of result.issues) {
    assert.equal(typeof issue.path, "string");
    assert.match(issue.rule, /^[a-z0-9_]+$/);
    assert.notEqual(issue.rule, "internal_error", issue.message);
    assert.match(issue.message, /\.$/);
  }
  JSON.stringify(result.issues);
}

// --- arbitraries of valid Kubernetes input -------------------------------------------------

const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const labelKey = fc.oneof(
  label,
  fc.tuple(label, label).map(([prefix, name]) => `${prefix}.io/${name}`),
);
const labelValue = fc.oneof(
  fc.constant(""),
  fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?$/),
);
const labels = fc.dictionary(labelKey, labelValue, { maxKeys: 3 });

const requirement = fc.oneof(
  fc.record({
    key: labelKey,
    operator: fc.constantFrom("In", "NotIn"),
    values: fc.array(labelValue, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ key: labelKey, operator: fc.constantFrom("Exists", "DoesNotExist") }),
);
const selector = fc.record(
  { matchLabels: labels, matchExpressions: fc.array(requirement, { maxLength: 2 }) },
  { requiredKeys: [] },
);

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

/** A CIDR (host bits possibly set) and an except inside it: same network bits, random host bits, longer prefix. */
const ipv4Cidr = fc
  .tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 31 }), fc.nat())
  .map(([address, hostBits, len, extra]) => {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const inside = ((address & mask) | (hostBits & ~mask)) >>> 0;
    const exceptLen = len + 1 + (extra % (32 - len));
    return { cidr: `${ipv4Text(address)}/${len}`, except: [`${ipv4Text(inside)}/${exceptLen}`] };
  });
const ipv6Cidr = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }),
    fc.integer({ min: 1, max: 127 }),
  )
  .filter(([groups]) => !(groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff))
  .map(([groups, len]) => ({
    cidr: `${groups.map((g) => g.toString(16)).join(":")}/${len}`,
    except: [] as string[],
  }));
const ipBlock = fc.oneof(ipv4Cidr, ipv6Cidr);

const peer = fc.oneof(
  fc.record({ ipBlock }),
  fc.record({ podSelector: selector }),
  fc.record({ namespaceSelector: selector }),
  fc.record({ podSelector: selector, namespaceSelector: selector }),
);

const portName = fc.stringMatching(/^[a-z]([a-z0-9]{0,6}-?[a-z0-9]{1,6})?$/);
const port = fc.oneof(
  fc.record({ protocol: fc.constantFrom("TCP", "UDP", "SCTP") }, { requiredKeys: [] }),
  fc.record({ protocol: fc.constantFrom("TCP", "UDP", "SCTP"), port: portName }, { requiredKeys: ["port"] }),
  fc
    .tuple(
      fc.integer({ min: 1, max: 65535 }),
      fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
    )
    .map(([p, range]) =>
      range === undefined ? { port: p } : { port: p, endPort: Math.min(65535, p + range) },
    ),
);

const ingressRule = fc.record(
  { from: fc.array(peer, { maxLength: 3 }), ports: fc.array(port, { maxLength: 3 }) },
  { requiredKeys: [] },
);
const egressRule = fc.record(
  { to: fc.array(peer, { maxLength: 3 }), ports: fc.array(port, { maxLength: 3 }) },
  { requiredKeys: [] },
);

const validPolicy = fc.record(
  {
    apiVersion: fc.constant("networking.k8s.io/v1"),
    kind: fc.constant("NetworkPolicy"),
    metadata: fc.record({ name: label, namespace: label, labels }, { requiredKeys: ["name", "namespace"] }),
    spec: fc.record(
      {
        podSelector: selector,
        policyTypes: fc.subarray(["Ingress", "Egress"]),
        ingress: fc.array(ingressRule, { maxLength: 2 }),
        egress: fc.array(egressRule, { maxLength: 2 }),
      },
      { requiredKeys: ["podSelector"] },
    ),
  },
  { requiredKeys: ["apiVersion", "kind", "metadata", "spec"] },
);

/** Replaces a random part of a valid policy with arbitrary JSON, to reach deep code with bad input. */
function corrupt(value: unknown, junk: unknown, path: number[]): unknown {
  if (path.length === 0 || value === null || typeof value !== "object") return junk;
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  if (entries.length === 0) return junk;
  const [step, ...rest] = path;
  const index = step! % entries.length;
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string | number, unknown>;
  const [key, child] = entries[index]!;
  copy[key] = corrupt(child, junk, rest);
  return copy;
}

describe("validation properties", () => {
  test("validation never throws on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.string(), { nil: undefined }), (input, name) => {
        assertWellFormed(
          validateNetworkPolicy(input, { name, namespace: name, requireTypeMeta: name === undefined }),
        );
        assertWellFormed(validateNamespace(name ?? "prod", input));
        assertWellFormed(validateNamespaceObject(input));
        assertWellFormed(validateEndpoint(name ?? "prod", name ?? "web", input));
      }),
      { numRuns: RUNS },
    );
  });

  test("validation never throws when any part of a valid policy is replaced by arbitrary JSON", () => {
    fc.assert(
      fc.property(validPolicy, fc.jsonValue(), fc.array(fc.nat(), { maxLength: 8 }), (policy, junk, path) => {
        assertWellFormed(validateNetworkPolicy(corrupt(policy, junk, path)));
      }),
      { numRuns: RUNS },
    );
  });

  test("an own __proto__ key from JSON.parse is refused, never silently dropped or applied as a prototype", () => {
    const input = JSON.parse(
      '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"a","namespace":"b","labels":{"__proto__":"x"}},"spec":{"podSelector":{},"__proto__":{"x":1}}}',
    );
    const result = validateNetworkPolicy(input);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.issues.map((i) => `${i.path} ${i.rule}`).sort(), [
      "metadata.labels.__proto__ forbidden_key",
      "spec.__proto__ unknown_field",
    ]);
  });

  test("every generated valid policy is accepted", () => {
    fc.assert(
      fc.property(validPolicy, (policy) => {
        const result = validateNetworkPolicy(policy);
        assert.ok(result.ok, JSON.stringify(!result.ok && result.issues));
      }),
      { numRuns: RUNS },
    );
  });

  test("a valid normalized policy re-validates to itself", () => {
    fc.assert(
      fc.property(validPolicy, (policy) => {
        const first = validateNetworkPolicy(policy);
        if (!first.ok) return;
        const again = validateNetworkPolicy(renderNetworkPolicy(first.value));
        assert.ok(again.ok, JSON.stringify(!again.ok && again.issues));
        assert.deepEqual(again.value, first.value);
      }),
      { numRuns: RUNS },
    );
  });
});
