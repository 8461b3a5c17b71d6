// deploy/grafana/palisade.json is a Grafana dashboard that imports anywhere: a schema version, a
// stable uid, the data source as a variable every panel uses, a layout without overlaps, and the
// sections the operators look for. (Its queries run against a real Prometheus in prometheus.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dashboard, type Panel, panelQueries, panels } from "./harness/queries.ts";

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax
const DATASOURCE = "${datasource}";
const KNOWN_VARIABLES = new Set(["$__rate_interval", "$agent"]);

describe("the Grafana dashboard", () => {
  const d = dashboard();
  const visible = panels().filter((p) => p.type !== "row");

  it("has a schema version, a stable uid and a title", () => {
    assert.equal(typeof d.schemaVersion, "number");
    assert.ok(d.schemaVersion >= 36, "Grafana 9 or later");
    assert.match(d.uid, /^[A-Za-z0-9_-]{1,40}$/);
    assert.equal(d.title, "Palisade");
    assert.equal(d.id, null, "no instance-specific id: Grafana assigns one on import");
  });

  it("takes its data source from a variable that every panel, query and variable uses", () => {
    const vars = d.templating.list as Panel[];
    const ds = vars.find((v) => v.type === "datasource");
    assert.equal(ds?.name, "datasource");
    assert.equal(ds?.query, "prometheus");
    for (const v of vars.filter((v) => v.type === "query"))
      assert.equal(v.datasource.uid, DATASOURCE, v.name);
    for (const p of visible) {
      assert.deepEqual(p.datasource, { type: "prometheus", uid: DATASOURCE }, p.title);
      for (const t of p.targets) assert.equal(t.datasource.uid, DATASOURCE, `${p.title} ${t.refId}`);
    }
  });

  it("has the fleet, sync, verdict, map and webhook sections", () => {
    const rows = panels()
      .filter((p) => p.type === "row")
      .map((p) => p.title);
    for (const r of ["Fleet", "Sync", "Verdicts by policy", "Map pressure", "Webhooks"])
      assert.ok(rows.includes(r), r);
  });

  it("gives each panel a unique id and title, a description, and at least one query with unique refIds", () => {
    const ids = panels().map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(new Set(visible.map((p) => p.title)).size, visible.length);
    for (const p of visible) {
      assert.ok(["timeseries", "stat"].includes(p.type), `${p.title}: ${p.type}`);
      assert.ok(p.description?.length > 10, `${p.title} says what it shows`);
      assert.ok(p.targets.length > 0, p.title);
      assert.equal(new Set(p.targets.map((t: Panel) => t.refId)).size, p.targets.length, p.title);
    }
  });

  it("lays the panels out on the 24-column grid without overlaps", () => {
    const boxes = panels().map((p) => ({
      title: p.title as string,
      ...(p.gridPos as { x: number; y: number; w: number; h: number }),
    }));
    for (const b of boxes) assert.ok(b.x >= 0 && b.w > 0 && b.x + b.w <= 24 && b.h > 0 && b.y >= 0, b.title);
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
        assert.ok(apart, `${a.title} overlaps ${b.title}`);
      }
    }
  });

  it("uses only the variables it defines in its queries", () => {
    for (const q of panelQueries()) {
      for (const m of q.expr.matchAll(/\$\{?[A-Za-z_]+\}?/g)) {
        assert.ok(
          KNOWN_VARIABLES.has(m[0]),
          `${q.panel}: unknown variable ${m[0]} (the test substitutes $name only)`,
        );
      }
    }
  });
});
