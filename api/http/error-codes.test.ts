// The README's error table and docs/webhooks.md's list of webhook codes say what the registry says.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ERROR_CODES } from "./error-codes.ts";

const root = new URL("../../", import.meta.url);

/** The rows of the first table after `heading` in a markdown file, as cells without padding. */
function tableAfter(file: string, heading: string): string[][] {
  const lines = readFileSync(new URL(file, root), "utf8").split("\n");
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `${file} has no "${heading}" heading`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("#")) break;
    if (!line.startsWith("|")) {
      if (rows.length > 0) break;
      continue;
    }
    rows.push(
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(2); // header and separator
}

/** The registry as README table rows: code, status, meaning. */
function declaredRows(): string[][] {
  return Object.entries(ERROR_CODES).map(([code, { status, meaning }]) => [
    `\`${code}\``,
    String(status),
    meaning,
  ]);
}

/** The README table as it must read (printed when it differs, to paste). */
function renderTable(): string {
  const rows = [["code", "status", "meaning"], ...declaredRows()];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(rows[0]!), line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n");
}

describe("error codes", () => {
  it("the README's Errors table lists every code with its status and meaning, in registry order", () => {
    const documented = tableAfter("README.md", "### Errors").map(([code, status, meaning]) => [
      code,
      status,
      meaning,
    ]);
    assert.deepEqual(documented, declaredRows(), `README.md "### Errors" should hold:\n\n${renderTable()}\n`);
  });

  it("docs/webhooks.md lists every webhook, hook and admission code with its registry status", () => {
    const listed = new Map<string, number>();
    for (const [codes, status] of tableAfter("docs/webhooks.md", "## Error codes")) {
      for (const [, code] of codes!.matchAll(/`([^`]+)`/g)) listed.set(code!, Number(status));
    }
    for (const [code, status] of listed) {
      assert.ok(code in ERROR_CODES, `docs/webhooks.md lists ${code}, which the registry does not declare`);
      assert.equal(status, ERROR_CODES[code as keyof typeof ERROR_CODES].status, `status of ${code}`);
    }
    const webhookCodes = Object.keys(ERROR_CODES).filter((c) =>
      /^(webhook|webhook_receiver|hook|admission|rotate_secret|deliveries_query)\./.test(c),
    );
    for (const code of webhookCodes) assert.ok(listed.has(code), `docs/webhooks.md does not list ${code}`);
  });
});
