// Owns reading the observability kit as data: every PromQL expression of the dashboard and of the
// rule files, and the metric names they read.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const DEPLOY = join(import.meta.dirname, "..", "..", "..", "deploy");
export const RULES_DIR = join(DEPLOY, "prometheus", "rules");
export const RULE_TESTS_DIR = join(DEPLOY, "prometheus", "tests");
export const DASHBOARD = join(DEPLOY, "grafana", "palisade.json");
export const SCRAPE_CONFIG = join(DEPLOY, "prometheus", "prometheus.yml");

export const ruleFiles = (): string[] =>
  readdirSync(RULES_DIR)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((f) => join(RULES_DIR, f));
export const ruleTestFiles = (): string[] =>
  readdirSync(RULE_TESTS_DIR)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((f) => join(RULE_TESTS_DIR, f));

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
}

export function rules(): Rule[] {
  return ruleFiles().flatMap((f) =>
    (parse(readFileSync(f, "utf8")) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: the dashboard is Grafana's JSON model, read field by field
export type Panel = Record<string, any>;

// biome-ignore lint/suspicious/noExplicitAny: as above
export function dashboard(): Record<string, any> {
  return JSON.parse(readFileSync(DASHBOARD, "utf8"));
}

/** Every panel, rows' nested panels included. */
export function panels(): Panel[] {
  return (dashboard().panels as Panel[]).flatMap((p) => [p, ...((p.panels as Panel[] | undefined) ?? [])]);
}

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

export function panelQueries(): PanelQuery[] {
  return panels().flatMap((p) =>
    ((p.targets as { refId: string; expr: string }[] | undefined) ?? []).map((t) => ({
      panel: p.title as string,
      refId: t.refId,
      expr: t.expr,
    })),
  );
}

/**
 * The expression Grafana would send with every variable at its widest: all agents, and a rate
 * window of one minute (Grafana's $__rate_interval is at least four scrape intervals).
 */
export function asPrometheusQuery(expr: string): string {
  return expr.replaceAll("$__rate_interval", "1m").replaceAll("$__interval", "1m").replaceAll("$agent", ".*");
}

/** Metric names an expression reads: our own (palisade_*) and recording rules (palisade:*). */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\bpalisade[_:][A-Za-z0-9_:]*/g)].map((m) => m[0]))];
}

/** The exported family a sample name belongs to (histogram series carry _bucket, _sum, _count). */
export function family(name: string, exported: ReadonlySet<string>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix) && exported.has(name.slice(0, -suffix.length)))
      return name.slice(0, -suffix.length);
  }
  return name;
}

/** name -> type, from the `# TYPE` lines of a /metrics answer. */
export function exportedTypes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}
