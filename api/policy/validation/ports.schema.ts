// Owns the schemas for protocols, port numbers and NetworkPolicy ports (port, endPort, protocol).

import { z } from "zod";
import { checkIanaSvcName, limits, patterns } from "./formats.ts";
import { always, type Ctx, isAbsent, isRecord, report, reportProblems } from "./refinements.ts";

export const protocols = ["TCP", "UDP", "SCTP"] as const;
export const protocolSchema = z.enum(protocols).meta({ description: "Defaults to TCP." });

const MAX_PORT = 65535;

export function isPortNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_PORT;
}

export function reportPortRange(ctx: Ctx, path: (string | number)[], value: unknown): void {
  if (typeof value === "number" && Number.isInteger(value) && !isPortNumber(value)) {
    report(ctx, path, "port_range", `must be a port number between 1 and ${MAX_PORT}`, value);
  }
}

export const portNumberSchema = z.number().int().meta({ minimum: 1, maximum: MAX_PORT });

export const portNameSchema = z
  .string()
  .meta({ pattern: patterns.ianaSvcName, maxLength: limits.ianaSvcName });

/**
 * Kubernetes IntOrString: a JSON number is a port number, a JSON string is a port name. A
 * numeric string such as "80" is a name, and fails IANA_SVC_NAME for want of a letter.
 */
const intOrStringPortSchema = z.union([portNumberSchema, portNameSchema], {
  error: "must be an integer port number or an IANA service name (a JSON string)",
});

function checkPolicyPort(port: unknown, ctx: Ctx): void {
  if (!isRecord(port)) return;
  const { port: value, endPort } = port;
  reportPortRange(ctx, ["port"], value);
  if (typeof value === "string") reportProblems(ctx, ["port"], checkIanaSvcName(value), value);
  if (typeof endPort !== "number" || !Number.isInteger(endPort)) return;
  if (typeof value !== "number") {
    const why = isAbsent(value) ? "port is not set" : "port is a name";
    report(
      ctx,
      ["endPort"],
      "end_port_requires_numeric_port",
      `may only be set with a numeric port, but ${why}`,
      endPort,
    );
    return;
  }
  if (Number.isInteger(value) && endPort < value) {
    report(
      ctx,
      ["endPort"],
      "end_port_before_port",
      `must be greater than or equal to port (${value})`,
      endPort,
    );
  }
  reportPortRange(ctx, ["endPort"], endPort);
}

export const policyPortSchema = z
  .strictObject({
    protocol: protocolSchema.nullish(),
    port: intOrStringPortSchema.nullish(),
    endPort: portNumberSchema
      .nullish()
      .meta({ description: "Inclusive end of a range; only with a numeric port." }),
  })
  .superRefine(checkPolicyPort, always);

export type PolicyPortInput = z.output<typeof policyPortSchema>;
