// Owns how the benchmark prints: Markdown tables (so a run can be pasted into the README) and
// number formats.

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(3, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(cells[0]!), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join("\n");
}

export function ms(value: number): string {
  return value >= 100
    ? `${value.toFixed(0)} ms`
    : value >= 1
      ? `${value.toFixed(1)} ms`
      : `${value.toFixed(2)} ms`;
}

export function mib(value: number): string {
  return `${value.toFixed(0)} MiB`;
}

export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** "ok" when `value <= limit`, else "MISSED". */
export function verdict(value: number, limit: number): string {
  return value <= limit ? "ok" : "MISSED";
}

export function section(title: string): void {
  console.log(`\n## ${title}\n`);
}
