// Owns validation of the PUT /v1/namespaces/{ns}/endpoints/{name} body into an Endpoint.

import { z } from "zod";
import { formatIp, parseIp } from "../../../wire/cidr.ts";
import { NAMESPACE_MAP_BYTES } from "../../../wire/entries.ts";
import type { Endpoint, EndpointPort } from "../model.ts";
import {
  checkDns1123Label,
  checkDns1123Subdomain,
  checkIanaSvcName,
  checkInterfaceName,
  limits,
  patterns,
} from "./formats.ts";
import { guarded, makeIssue, type Validated, type ValidationIssue } from "./issues.ts";
import { labelsSchema } from "./labels.schema.ts";
import { dns1123SubdomainSchema } from "./metadata.schema.ts";
import { sortedRecord } from "./network-policy.normalize.ts";
import { isIpv4MappedIpv6 } from "./peers.schema.ts";
import { portNumberSchema, protocolSchema, reportPortRange } from "./ports.schema.ts";
import { always, type Ctx, formattedString, isRecord, report } from "./refinements.ts";
import { parseWith } from "./zod-issues.ts";

/** The canonical text of an address the validator accepts, or null. */
function canonicalIp(text: string): string | null {
  const ip = parseIp(text);
  if (!ip || isIpv4MappedIpv6(ip.bytes)) return null;
  return formatIp(ip.family, ip.bytes);
}

/** Why the i-th address is refused, given the canonical addresses and families seen before it. */
function ipProblem(text: string, seen: Set<string>, families: Set<number>): [string, string] | null {
  const ip = parseIp(text);
  if (!ip) return ["ip", "must be a valid IPv4 or IPv6 address"];
  if (isIpv4MappedIpv6(ip.bytes)) {
    return ["ipv4_mapped_ipv6", "must not be an IPv4-mapped IPv6 address; write the IPv4 address"];
  }
  if (ip.family === 6 && NAMESPACE_MAP_BYTES.every((b, i) => ip.bytes[i] === b)) {
    return ["reserved", "must not be in fdff:ffff:ffff:ffff:ffff:ffff::/96, which Palisade reserves"];
  }
  const canonical = formatIp(ip.family, ip.bytes);
  if (seen.has(canonical)) return ["duplicate", "must not repeat an address"];
  if (families.has(ip.family)) return ["duplicate_family", `must not be a second IPv${ip.family} address`];
  seen.add(canonical);
  families.add(ip.family);
  return null;
}

function checkIps(ips: unknown, ctx: Ctx): void {
  if (!Array.isArray(ips)) return;
  if (ips.length === 0) report(ctx, [], "min_items", "must list at least one IP address", ips);
  if (ips.length > 2)
    report(ctx, [], "max_items", "may list at most 2 IP addresses (one IPv4, one IPv6)", ips);
  const seen = new Set<string>();
  const families = new Set<number>();
  ips.forEach((text, i) => {
    if (typeof text !== "string") return;
    const problem = ipProblem(text, seen, families);
    if (problem) report(ctx, [i], problem[0], problem[1], text);
  });
}

const endpointPortSchema = z
  .strictObject({
    name: formattedString((value) => (value === "" ? [] : checkIanaSvcName(value)), {
      anyOf: [{ pattern: patterns.ianaSvcName, maxLength: limits.ianaSvcName }, { const: "" }],
      description: "An IANA service name, or empty for an unnamed port.",
    }).nullish(),
    port: portNumberSchema,
    protocol: protocolSchema.nullish(),
  })
  .superRefine((port, ctx) => {
    if (isRecord(port)) reportPortRange(ctx, ["port"], port.port);
  }, always);

function checkPortsUnique(ports: unknown, ctx: Ctx): void {
  if (!Array.isArray(ports)) return;
  const names = new Set<string>();
  const numbers = new Set<string>();
  ports.forEach((port, i) => {
    if (!isRecord(port)) return;
    if (typeof port.name === "string" && port.name !== "") {
      if (names.has(port.name))
        report(ctx, [i, "name"], "duplicate", "must not repeat a port name", port.name);
      names.add(port.name);
    }
    if (typeof port.port !== "number") return;
    const key = `${port.port}/${typeof port.protocol === "string" ? port.protocol : "TCP"}`;
    if (numbers.has(key)) report(ctx, [i], "duplicate", `must not repeat port and protocol ${key}`, port);
    numbers.add(key);
  });
}

const printable = (max: number, description: string) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .meta({ description });

const workloadSchema = z
  .strictObject({
    runtime: dns1123SubdomainSchema.meta({ description: "The container runtime: containerd, podman, ..." }),
    containerId: printable(256, "The runtime's container or sandbox id (CNI_CONTAINERID)."),
    netns: printable(1024, "The network namespace path (CNI_NETNS)."),
  })
  .meta({ title: "EndpointWorkload", description: "Set for endpoints created through the CNI plugin." });

export const endpointBodySchema = z
  .strictObject({
    labels: labelsSchema.nullish(),
    node: dns1123SubdomainSchema.meta({ description: "The node (agent) the endpoint runs on." }),
    interface: formattedString(checkInterfaceName, {
      minLength: 1,
      maxLength: limits.interfaceNameBytes,
      pattern: "^(?!\\.{1,2}$)[^/:\\s\\u0000]+$",
      description: "Host-side interface name (1 to 15 bytes).",
    }),
    ips: z.array(z.string()).superRefine(checkIps, always).meta({ minItems: 1, maxItems: 2 }),
    ports: z.array(endpointPortSchema).superRefine(checkPortsUnique, always).nullish(),
    workload: workloadSchema.nullish(),
    labelsPending: z
      .boolean()
      .nullish()
      .meta({ description: "Labels not known yet: deny everything both ways until cleared." }),
  })
  .meta({ title: "EndpointBody", description: "Body of PUT /v1/namespaces/{ns}/endpoints/{name}." });

type EndpointBody = z.output<typeof endpointBodySchema>;

function checkRouteNames(namespace: string, name: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const p of checkDns1123Label(String(namespace))) {
    issues.push(makeIssue(["namespace"], p.rule, `${p.requirement} (the namespace from the URL)`, namespace));
  }
  for (const p of checkDns1123Subdomain(String(name))) {
    issues.push(makeIssue(["name"], p.rule, `${p.requirement} (the endpoint name from the URL)`, name));
  }
  return issues;
}

function normalize(namespace: string, name: string, body: EndpointBody): Endpoint {
  const ports: EndpointPort[] = (body.ports ?? []).map((port) => ({
    name: port.name ?? "",
    port: port.port,
    protocol: port.protocol ?? "TCP",
  }));
  return {
    namespace,
    name,
    labels: sortedRecord(body.labels),
    node: body.node,
    interface: body.interface,
    ips: body.ips.map((ip) => canonicalIp(ip) ?? ip),
    ports,
    ...(body.workload ? { workload: body.workload } : {}),
    ...(body.labelsPending ? { labelsPending: true } : {}),
  };
}

/** Validates an endpoint body for the namespace and name of its URL. */
export function validateEndpoint(namespace: string, name: string, body: unknown): Validated<Endpoint> {
  return guarded(() => {
    const parsed = parseWith(endpointBodySchema, body);
    const issues = [...parsed.issues, ...checkRouteNames(namespace, name)];
    if (issues.length > 0 || !parsed.value) return { ok: false, issues };
    return { ok: true, value: normalize(namespace, name, parsed.value) };
  });
}
