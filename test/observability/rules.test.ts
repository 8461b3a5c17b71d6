// deploy/prometheus passes promtool: the scrape config and rules check, the rule unit tests
// (deploy/prometheus/tests) pass, and every alert has a unit test where it fires and one where it
// does not.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { scrapeConfig } from "./harness/prometheus.ts";
import { ruleFiles, rules, ruleTestFiles } from "./harness/queries.ts";
import { binarySkipReason, findBinary, run } from "./harness/tools.ts";

interface RuleTestFile {
  tests: { name?: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe("deploy/prometheus", { skip: binarySkipReason("promtool") }, () => {
  const promtool = findBinary("promtool") ?? "promtool";

  it("the rule files pass promtool check rules", async () => {
    const r = await run(promtool, ["check", "rules", ...ruleFiles()]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(ruleFiles().length, 2);
  });

  it("the scrape config passes promtool check config (with the test's addresses and token file)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-promconfig-"));
    try {
      const token = join(dir, "token");
      writeFileSync(token, "t", { mode: 0o600 });
      const file = join(dir, "prometheus.yml");
      writeFileSync(
        file,
        scrapeConfig(
          { controlPlane: "127.0.0.1:7400", token: "t", agents: [{ target: "127.0.0.1:9474", node: "n1" }] },
          token,
        ),
      );
      const r = await run(promtool, ["check", "config", file]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the rule unit tests pass", async () => {
    const files = ruleTestFiles();
    assert.ok(files.length >= 4);
    const r = await run(promtool, ["test", "rules", ...files]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((r.stdout.match(/SUCCESS/g) ?? []).length, files.length, r.stdout);
  });

  it("every alert is tested firing and not firing, and every tested alert exists", () => {
    const alerts = rules().flatMap((r) => (r.alert ? [r.alert] : []));
    assert.ok(alerts.length >= 6);
    const fired = new Set<string>();
    const quiet = new Set<string>();
    for (const f of ruleTestFiles()) {
      for (const group of (parse(readFileSync(f, "utf8")) as RuleTestFile).tests) {
        for (const t of group.alert_rule_test ?? []) {
          assert.ok(alerts.includes(t.alertname), `${f} tests ${t.alertname}, which no rule file defines`);
          (t.exp_alerts.length > 0 ? fired : quiet).add(t.alertname);
        }
      }
    }
    for (const a of alerts) {
      assert.ok(fired.has(a), `no unit test where ${a} fires`);
      assert.ok(quiet.has(a), `no unit test where ${a} stays quiet`);
    }
  });
});
