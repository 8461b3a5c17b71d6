// Owns validateClusterNetworkPolicy and renderClusterNetworkPolicy: schema, name from the URL,
// the mode annotation, normalization into the model, and back to the upstream object form.

import { canonicalCidr } from "../../../wire/cidr.ts";
import {
  type ClusterNetworkPolicy,
  type ClusterPeer,
  type ClusterProtocol,
  type ClusterRule,
  type ClusterSubject,
  type LabelSelector,
  MODE_ANNOTATION,
} from "../model.ts";
import {
  CLUSTER_NETWORK_POLICY_API_VERSION,
  CLUSTER_NETWORK_POLICY_KIND,
  type ClusterNetworkPolicyInput,
  clusterNetworkPolicyObjectSchema,
} from "./cluster-network-policy.schema.ts";
import { checkTypeMetaPresent, metadataOf, nameFormats, resolveUrlField } from "./identity.ts";
import { guarded, makeIssue, type Validated, type ValidationIssue } from "./issues.ts";
import { normalizeSelector, sortedRecord } from "./network-policy.normalize.ts";
import { renderSelector } from "./network-policy.render.ts";
import { isAbsent, isRecord } from "./refinements.ts";
import { parseWith } from "./zod-issues.ts";

export interface ClusterNetworkPolicyValidationOptions {
  /** The name from the URL: metadata.name must equal it, or be absent and is taken from it. */
  name?: string;
  /** Require apiVersion and kind (bundles); when false they may be left out (PUT). Default true. */
  requireTypeMeta?: boolean;
}

const MODES = ["audit", "enforce"];

/** The mode annotation, when present, says audit or enforce: a typo must not silently enforce. */
export function modeIssues(annotations: unknown): ValidationIssue[] {
  if (!isRecord(annotations)) return [];
  const mode = annotations[MODE_ANNOTATION];
  if (mode === undefined || (typeof mode === "string" && MODES.includes(mode))) return [];
  return [
    makeIssue(
      ["metadata", "annotations", MODE_ANNOTATION],
      "enum",
      `must be one of ${MODES.join(", ")}`,
      mode,
    ),
  ];
}

/**
 * Validates an untrusted, already-parsed ClusterNetworkPolicy as upstream's CRD does (strict
 * fields, every bound) and returns the normalized policy, or every issue found.
 */
export function validateClusterNetworkPolicy(
  input: unknown,
  opts: ClusterNetworkPolicyValidationOptions = {},
): Validated<ClusterNetworkPolicy> {
  return guarded(() => {
    const parsed = parseWith(clusterNetworkPolicyObjectSchema, input);
    const issues = [...parsed.issues];
    if (opts.requireTypeMeta ?? true)
      issues.push(...checkTypeMetaPresent(input, CLUSTER_NETWORK_POLICY_KIND));
    let name: string | undefined;
    if (!(isRecord(input) && !isAbsent(input.metadata) && !isRecord(input.metadata))) {
      const metadata = metadataOf(input);
      const resolved = resolveUrlField({
        path: ["metadata", "name"],
        body: metadata.name,
        url: opts.name,
        mismatchRule: "name_mismatch",
        format: nameFormats.subdomain,
      });
      issues.push(...resolved.issues, ...modeIssues(metadata.annotations));
      name = resolved.value;
    }
    if (issues.length > 0 || !parsed.value || !name) {
      if (issues.length === 0) issues.push(makeIssue([], "invalid", "could not be validated", input));
      return { ok: false, issues };
    }
    return { ok: true, value: normalize(parsed.value, name) };
  });
}

type SpecInput = ClusterNetworkPolicyInput["spec"];
type SubjectInput = SpecInput["subject"];
type IngressRuleInput = NonNullable<SpecInput["ingress"]>[number];
type EgressRuleInput = NonNullable<SpecInput["egress"]>[number];
type ProtocolInput = NonNullable<IngressRuleInput["protocols"]>[number];

const EVERYTHING: LabelSelector = { matchLabels: {}, matchExpressions: [] };

function normalizeSubject(s: SubjectInput): ClusterSubject {
  if (s.namespaces) return { namespaces: normalizeSelector(s.namespaces) };
  const pods = s.pods!;
  return {
    pods: {
      namespaceSelector: pods.namespaceSelector ? normalizeSelector(pods.namespaceSelector) : EVERYTHING,
      podSelector: normalizeSelector(pods.podSelector),
    },
  };
}

function normalizePeer(p: SubjectInput & { networks?: string[] | null }): ClusterPeer {
  if (p.networks) return { networks: [...new Set(p.networks.map((n) => canonicalCidr(n) ?? n))] };
  return normalizeSubject(p);
}

function normalizeProtocol(p: ProtocolInput): ClusterProtocol {
  if (p.destinationNamedPort) return { namedPort: p.destinationNamedPort };
  const protocol = p.tcp ? "TCP" : p.udp ? "UDP" : "SCTP";
  const port = (p.tcp ?? p.udp ?? p.sctp)!.destinationPort!;
  if (port.range) return { protocol, port: port.range.start, endPort: port.range.end };
  return { protocol, port: port.number! };
}

function normalizeRule(rule: IngressRuleInput | EgressRuleInput, peers: ClusterPeer[]): ClusterRule {
  return {
    name: rule.name ?? "",
    action: rule.action,
    peers,
    protocols: (rule.protocols ?? []).map(normalizeProtocol),
  };
}

function normalize(object: ClusterNetworkPolicyInput, name: string): ClusterNetworkPolicy {
  const spec = object.spec;
  return {
    name,
    labels: sortedRecord(object.metadata?.labels),
    annotations: sortedRecord(object.metadata?.annotations),
    spec: {
      tier: spec.tier,
      priority: spec.priority,
      subject: normalizeSubject(spec.subject),
      ingress: (spec.ingress ?? []).map((r) => normalizeRule(r, r.from.map(normalizePeer))),
      egress: (spec.egress ?? []).map((r) => normalizeRule(r, r.to.map(normalizePeer))),
    },
  };
}

function renderSubject(s: ClusterPeer): Record<string, unknown> {
  if ("namespaces" in s) return { namespaces: renderSelector(s.namespaces) };
  if ("pods" in s) {
    return {
      pods: {
        namespaceSelector: renderSelector(s.pods.namespaceSelector),
        podSelector: renderSelector(s.pods.podSelector),
      },
    };
  }
  return { networks: [...s.networks] };
}

function renderProtocol(p: ClusterProtocol): Record<string, unknown> {
  if ("namedPort" in p) return { destinationNamedPort: p.namedPort };
  const destinationPort =
    p.endPort === undefined ? { number: p.port } : { range: { start: p.port, end: p.endPort } };
  return { [p.protocol.toLowerCase()]: { destinationPort } };
}

function renderRule(rule: ClusterRule, peersField: "from" | "to"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (rule.name !== "") out.name = rule.name;
  out.action = rule.action;
  out[peersField] = rule.peers.map(renderSubject);
  if (rule.protocols.length > 0) out.protocols = rule.protocols.map(renderProtocol);
  return out;
}

/** The object a GET answers with; validating it again gives back the same normalized policy. */
export function renderClusterNetworkPolicy(policy: ClusterNetworkPolicy): Record<string, unknown> {
  const metadata: Record<string, unknown> = { name: policy.name };
  if (Object.keys(policy.labels).length > 0) metadata.labels = { ...policy.labels };
  if (Object.keys(policy.annotations).length > 0) metadata.annotations = { ...policy.annotations };
  const spec: Record<string, unknown> = {
    tier: policy.spec.tier,
    priority: policy.spec.priority,
    subject: renderSubject(policy.spec.subject),
  };
  if (policy.spec.ingress.length > 0) spec.ingress = policy.spec.ingress.map((r) => renderRule(r, "from"));
  if (policy.spec.egress.length > 0) spec.egress = policy.spec.egress.map((r) => renderRule(r, "to"));
  return {
    apiVersion: CLUSTER_NETWORK_POLICY_API_VERSION,
    kind: CLUSTER_NETWORK_POLICY_KIND,
    metadata,
    spec,
  };
}
