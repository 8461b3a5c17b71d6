// Owns Kubernetes label-selector matching and the canonical key of a selector (pure).
import type { LabelSelector, Labels } from "./model.ts";

/** True when `labels` satisfy every matchLabels pair and every matchExpressions requirement. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions) {
    const has = Object.hasOwn(labels, req.key);
    switch (req.operator) {
      case "In":
        if (!has || !req.values.includes(labels[req.key]!)) return false;
        break;
      case "NotIn":
        // Kubernetes: NotIn also matches objects that lack the key.
        if (has && req.values.includes(labels[req.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** A canonical string for a selector: equal selectors (in meaning) give equal keys. */
export function selectorKey(selector: LabelSelector | undefined): string {
  if (!selector) return "-";
  const labels = Object.entries(selector.matchLabels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  const exprs = selector.matchExpressions
    .map((e) => `${e.key} ${e.operator} (${[...new Set(e.values)].sort().join(",")})`)
    .sort();
  return JSON.stringify([labels, [...new Set(exprs)]]);
}

/** A canonical string for a label set. */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
