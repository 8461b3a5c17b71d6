// Owns the Kubernetes string formats (DNS-1123 names, qualified names, label values, IANA service names) and Linux interface names.
import { DNS1123_LABEL, DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX } from "../../../wire/names.ts";

/** One broken rule of a format: a stable code and the requirement that completes "Field X ...". */
export interface FormatProblem {
  rule: string;
  requirement: string;
}

const QUALIFIED_NAME_PART = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE = `(${QUALIFIED_NAME_PART})?`;

/** Anchored patterns, shared with the JSON Schema so the documentation and the checks agree. */
export const patterns = {
  dns1123Label: `^${DNS1123_LABEL}$`,
  dns1123Subdomain: `^${DNS1123_SUBDOMAIN}$`,
  qualifiedName: `^(${DNS1123_SUBDOMAIN}/)?${QUALIFIED_NAME_PART}$`,
  labelValue: `^${LABEL_VALUE}$`,
  ianaSvcName: "^(?=.{1,15}$)(?=.*[a-z])(?!-)(?!.*--)[a-z0-9-]*[a-z0-9]$",
} as const;

export const limits = {
  dns1123Label: 63,
  dns1123Subdomain: DNS1123_SUBDOMAIN_MAX,
  qualifiedNamePart: 63,
  labelValue: 63,
  ianaSvcName: 15,
  interfaceNameBytes: 15,
  totalAnnotationBytes: 256 * 1024,
} as const;

const dns1123LabelRe = new RegExp(patterns.dns1123Label);
const dns1123SubdomainRe = new RegExp(patterns.dns1123Subdomain);
const qualifiedNamePartRe = new RegExp(`^${QUALIFIED_NAME_PART}$`);
const labelValueRe = new RegExp(patterns.labelValue);

function tooLong(max: number, unit = "characters"): FormatProblem {
  return { rule: "too_long", requirement: `must be at most ${max} ${unit} long` };
}

export function checkDns1123Label(value: string): FormatProblem[] {
  const problems: FormatProblem[] = [];
  if (value.length > limits.dns1123Label) problems.push(tooLong(limits.dns1123Label));
  if (!dns1123LabelRe.test(value)) {
    problems.push({
      rule: "dns1123_label",
      requirement:
        "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
    });
  }
  return problems;
}

export function checkDns1123Subdomain(value: string): FormatProblem[] {
  const problems: FormatProblem[] = [];
  if (value.length > limits.dns1123Subdomain) problems.push(tooLong(limits.dns1123Subdomain));
  if (!dns1123SubdomainRe.test(value)) {
    problems.push({
      rule: "dns1123_subdomain",
      requirement:
        "must be a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-', each starting and ending with a letter or digit",
    });
  }
  return problems;
}

/** Why a qualified name (a label or annotation key) is invalid, one phrase per broken part. */
function qualifiedNameFaults(value: string): string[] {
  const parts = value.split("/");
  if (parts.length > 2) return ["it has more than one '/'"];
  const faults: string[] = [];
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === "") faults.push("the prefix before '/' is empty");
    else if (prefix.length > limits.dns1123Subdomain || !dns1123SubdomainRe.test(prefix))
      faults.push("the prefix before '/' is not a DNS-1123 subdomain of at most 253 characters");
  }
  if (name === "") faults.push("the name part is empty");
  else {
    if (name.length > limits.qualifiedNamePart) faults.push("the name part is longer than 63 characters");
    if (!qualifiedNamePartRe.test(name))
      faults.push(
        "the name part must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
      );
  }
  return faults;
}

/** A label key (and, case-folded, an annotation key): `[prefix/]name` as Kubernetes IsQualifiedName. */
export function checkQualifiedName(value: string): FormatProblem[] {
  const faults = qualifiedNameFaults(value);
  if (faults.length === 0) return [];
  return [
    {
      rule: "qualified_name",
      requirement: `must be a qualified name ([DNS-subdomain prefix/]name), but ${faults.join(" and ")}`,
    },
  ];
}

export function checkLabelValue(value: string): FormatProblem[] {
  const problems: FormatProblem[] = [];
  if (value.length > limits.labelValue) problems.push(tooLong(limits.labelValue));
  if (!labelValueRe.test(value)) {
    problems.push({
      rule: "label_value",
      requirement:
        "must be empty or consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    });
  }
  return problems;
}

/** IANA_SVC_NAME (RFC 6335), as Kubernetes IsValidPortName. */
export function checkIanaSvcName(value: string): FormatProblem[] {
  const faults: string[] = [];
  if (value.length === 0 || value.length > limits.ianaSvcName) faults.push("be 1 to 15 characters long");
  if (!/^[-a-z0-9]*$/.test(value)) faults.push("contain only lowercase letters, digits and '-'");
  if (!/[a-z]/.test(value)) faults.push("contain at least one letter");
  if (value.startsWith("-") || value.endsWith("-")) faults.push("not start or end with '-'");
  if (value.includes("--")) faults.push("not contain '--'");
  if (faults.length === 0) return [];
  return [
    { rule: "iana_svc_name", requirement: `must be an IANA service name, which must ${faults.join(", ")}` },
  ];
}

function utf8Length(value: string): number {
  return new TextEncoder().encode(value).length;
}

/**
 * A Linux network interface name as the kernel's dev_valid_name accepts it: 1 to 15 bytes, not
 * "." or "..", and no '/', ':', NUL or whitespace (':' would be read as an alias label).
 */
export function checkInterfaceName(value: string): FormatProblem[] {
  const bytes = utf8Length(value);
  const faults: string[] = [];
  if (bytes === 0 || bytes > limits.interfaceNameBytes) faults.push("be 1 to 15 bytes long");
  if (value === "." || value === "..") faults.push("not be '.' or '..'");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what the kernel refuses.
  if (/[/:\s\u0000]/.test(value)) faults.push("not contain '/', ':', NUL or whitespace");
  if (faults.length === 0) return [];
  return [
    {
      rule: "interface_name",
      requirement: `must be a Linux interface name, which must ${faults.join(", ")}`,
    },
  ];
}

/** Total size of annotation keys and values in bytes, as Kubernetes counts it. */
export function annotationBytes(annotations: Record<string, unknown>): number {
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    total += utf8Length(key);
    if (typeof value === "string") total += utf8Length(value);
  }
  return total;
}
