// Owns kubectl-style aligned tables and reading the loosely-typed JSON fields that fill them.
import { isRecord } from "./client.ts";

export interface Column {
  header: string;
  cell(item: Record<string, unknown>): string | undefined;
  /** Left out when no row has a value, so fields the server does not send leave no empty column. */
  optional?: boolean;
}

export const NONE = "<none>";

export function renderTable(columns: Column[], items: Record<string, unknown>[]): string {
  const cells = columns.map((column) => items.map((item) => column.cell(item)));
  const shown = columns
    .map((column, index) => ({
      header: column.header,
      values: cells[index] ?? [],
      optional: column.optional,
    }))
    .filter(
      (column) => !column.optional || column.values.some((value) => value !== undefined && value !== ""),
    );
  const rows = [
    shown.map((column) => column.header),
    ...items.map((_, row) => shown.map((column) => displayCell(column.values[row]))),
  ];
  const widths = shown.map((_, col) => Math.max(...rows.map((row) => row[col]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

function displayCell(value: string | undefined): string {
  return value === undefined || value === "" ? NONE : value;
}

export function field(item: Record<string, unknown>, ...path: string[]): unknown {
  let current: unknown = item;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** `{a: "1", b: "2"}` -> `a=1,b=2`. */
export function formatLabels(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  return Object.entries(value)
    .map(([key, label]) => `${key}=${String(label)}`)
    .join(",");
}

/** A label selector as kubectl prints it: `app=web,tier in (a,b),!legacy`; empty = `<none>`. */
export function formatSelector(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  const parts: string[] = [];
  if (isRecord(value.matchLabels)) {
    for (const [key, label] of Object.entries(value.matchLabels)) parts.push(`${key}=${String(label)}`);
  }
  for (const expression of Array.isArray(value.matchExpressions) ? value.matchExpressions : []) {
    if (isRecord(expression)) parts.push(formatRequirement(expression));
  }
  return parts.join(",");
}

function formatRequirement(requirement: Record<string, unknown>): string {
  const key = String(requirement.key);
  const values = Array.isArray(requirement.values) ? requirement.values.map(String).join(",") : "";
  switch (requirement.operator) {
    case "In":
      return `${key} in (${values})`;
    case "NotIn":
      return `${key} notin (${values})`;
    case "Exists":
      return key;
    case "DoesNotExist":
      return `!${key}`;
    default:
      return `${key} ${String(requirement.operator)} (${values})`;
  }
}

export function formatList(
  value: unknown,
  format: (item: unknown) => string | undefined = text,
): string | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .map(format)
    .filter((item) => item !== undefined)
    .join(",");
}
