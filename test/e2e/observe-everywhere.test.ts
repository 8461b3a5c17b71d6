// Issue 11's "done when", end to end on the real datapath: one connection that a policy drops is
// seen, with the policy's name, in the three places operators look, all watching before it is made:
// `palisade observe -f` (the real CLI, a child process), the console's live flow view in chromium
// (rows arriving without a reload), and a real Prometheus scraping the agents
// (palisade_agent_policy_verdicts_total by policy name). A connection the same policy allows is
// checked in the same three places. Topology: shop/web and shop/client on node-a, shop/db on node-b;
// db-allow-web isolates db and admits web only.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "puppeteer-core";
import {
  type RunningPrometheus,
  samples,
  startPrometheus,
  until,
} from "../observability/harness/prometheus.ts";
import { binarySkipReason, findBinary } from "../observability/harness/tools.ts";
import { browserSkipReason, launch, signIn } from "../ui/browser.ts";
import { type Cluster, startCluster } from "./harness/cluster.ts";
import { BIN } from "./harness/processes.ts";
import { e2eSkipReason } from "./harness/skip.ts";

const ADMIN = "e2e-admin-token";
const PORT = 5432;
const POLICY = "db-allow-web";
const WAIT_MS = 30_000;

const dbAllowsWebOnly = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: POLICY },
  spec: {
    podSelector: { matchLabels: { app: "db" } },
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }],
  },
};

/** `palisade observe -f` as a child process: its stdout so far, and stopping it. */
interface Observer {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves with the first stdout line matching `re`. */
  line(re: RegExp, what: string): Promise<string>;
}

function observe(args: string[]): Observer {
  const child = spawn(process.execPath, [BIN, "observe", "-f", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return {
    child,
    out: () => out,
    err: () => err,
    line: (re, what) =>
      until(`${what} in palisade observe -f`, WAIT_MS, async () => {
        if (child.exitCode !== null) throw new Error(`observe exited ${child.exitCode}: ${err}`);
        return out.split("\n").find((l) => re.test(l));
      }).catch((e: Error) => {
        throw new Error(`${e.message}; stdout: ${out.slice(-2000)}; stderr: ${err}`);
      }),
  };
}

const skip = e2eSkipReason() ?? browserSkipReason() ?? binarySkipReason("prometheus");

describe("a dropped connection seen everywhere: observe -f, the console, Prometheus", {
  skip,
  timeout: 300_000,
}, () => {
  let cluster: Cluster | undefined;
  let prom: RunningPrometheus | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let observer: Observer | undefined;

  before(async () => {
    cluster = await startCluster({
      namespaces: { shop: {} },
      pods: [
        { namespace: "shop", name: "client", labels: { app: "client" }, node: "node-a" },
        { namespace: "shop", name: "web", labels: { app: "web" }, node: "node-a" },
        { namespace: "shop", name: "db", labels: { app: "db" }, node: "node-b" },
      ],
      nodes: ["node-a", "node-b"],
      ports: [PORT],
    });
    await cluster.applyPolicy("shop", dbAllowsWebOnly);
    const readToken = (
      await cluster.api.must("POST", "/v1/tokens", { scope: "read", description: "prometheus" })
    ).token as string;
    prom = await startPrometheus(findBinary("prometheus")!, {
      controlPlane: new URL(cluster.api.url).host,
      token: readToken,
      agents: [...cluster.metricsTargets].map(([node, target]) => ({ node, target })),
    });
    browser = await launch();
    page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);
  });

  after(async () => {
    // Each step on its own: one failing to stop must not leave the others running.
    const steps = [
      async () => {
        if (observer && observer.child.exitCode === null && observer.child.signalCode === null) {
          const exited = new Promise((r) => observer!.child.once("exit", r));
          observer.child.kill("SIGTERM");
          await exited;
        }
      },
      () => browser?.close(),
      () => prom?.close(),
      () => cluster?.teardown(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (e) {
        console.error(`teardown: ${(e as Error).message}`);
      }
    }
  });

  it("shows the drop with the policy's name in all three, and the allowed connection with its rule", async () => {
    const c = cluster!;
    // Everyone watches first: Prometheus scrapes both agents, the console follows, observe -f streams.
    await until("Prometheus scraping both agents", WAIT_MS, async () => {
      const up = samples(await prom!.query('up{job="palisade-agent"} == 1'));
      return up.length === 2 ? up : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; prometheus log: ${prom!.log()}`);
    });
    await signIn(page, c.api.url, ADMIN);
    await page.goto(`${c.api.url}/ui/flows?to=shop/db`, { waitUntil: "domcontentloaded" });
    await page.waitForFunction(
      () => document.getElementById("flow-status")?.textContent?.startsWith("Live"),
      {
        timeout: WAIT_MS,
      },
    );
    await page.evaluate(() => {
      (window as { __same?: boolean }).__same = true;
    });
    assert.equal(await page.$$eval("#flows tbody tr", (trs) => trs.length), 0, "nothing reached db yet");
    // Table output prints its header once the stream is open: the drop comes after that.
    observer = observe(["--server", c.api.url, "--token", ADMIN, "--to", "shop/db"]);
    await observer.line(/^TIME\s+NODE\s+VERDICT/, "the table header");

    const db = c.pod("shop/db");
    assert.equal(
      (await c.pod("shop/client").prober.probe("tcp", db.ip, PORT, 1000)).ok,
      false,
      "db drops client",
    );
    assert.equal((await c.pod("shop/web").prober.probe("tcp", db.ip, PORT, 2000)).ok, true, "db admits web");

    // 1. palisade observe -f: a line per flow, the policy named.
    const dropLine = await observer.line(/DROPPED.*shop\/client:\d+/, "the drop");
    assert.match(
      dropLine,
      /node-b\s+DROPPED\s+ingress\s+shop\/client:\d+\s+shop\/db:5432\s+TCP\s+POLICY_DENIED\s+default deny \(shop\/db-allow-web\)$/,
    );
    // node-a may report the connections leaving too (egress, no policy there): db's node decides.
    const allowLine = await observer.line(/node-b\s+ALLOWED.*shop\/web:\d+/, "the allowed connection");
    assert.match(
      allowLine,
      /node-b\s+ALLOWED\s+ingress\s+shop\/web:\d+\s+shop\/db:5432\s+TCP\s+POLICY\s+shop\/db-allow-web rule 0$/,
    );

    // 2. The console's live view: rows added to the open page, verdict and policy named.
    const rowsOf = () =>
      page.$$eval("#flows tbody tr", (trs) =>
        trs.map((tr) => ({
          verdict: tr.getAttribute("data-verdict"),
          cells: [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""),
        })),
      );
    const rows = await until("both rows in the console", WAIT_MS, async () => {
      const r = await rowsOf();
      const drop = r.find((x) => x.verdict === "dropped" && x.cells[4]!.startsWith("shop/client"));
      const allow = r.find(
        (x) => x.verdict === "allowed" && x.cells[1] === "node-b" && x.cells[4]!.startsWith("shop/web"),
      );
      return drop && allow ? { drop, allow } : undefined;
    }).catch(async (e: Error) => {
      throw new Error(`${e.message}; rows: ${JSON.stringify(await rowsOf())}`);
    });
    // time, node, verdict, direction, source, destination, protocol, policy, reason
    assert.deepEqual(
      [1, 2, 3, 6, 7, 8].map((i) => rows.drop.cells[i]),
      ["node-b", "dropped", "ingress", "TCP", "default deny (shop/db-allow-web)", "POLICY_DENIED"],
    );
    assert.match(rows.drop.cells[5]!, /^shop\/db \(.*:5432\)$/);
    assert.deepEqual(
      [1, 2, 3, 6, 7, 8].map((i) => rows.allow.cells[i]),
      ["node-b", "allowed", "ingress", "TCP", "shop/db-allow-web rule 0", "POLICY"],
    );
    assert.equal(await page.evaluate(() => (window as { __same?: boolean }).__same), true, "no reload");
    // The policy's page counts both: the drop against the policy that isolated db.
    await page.goto(`${c.api.url}/ui/namespaces/shop/policies/${POLICY}`, { waitUntil: "domcontentloaded" });
    await page
      .waitForFunction(
        () =>
          ["allowed", "dropped"].every(
            (k) => Number(document.querySelector(`[data-count="${k}"]`)?.textContent ?? 0) >= 1,
          ),
        { timeout: WAIT_MS },
      )
      .catch(async (e: Error) => {
        const counts = await page.$$eval("[data-count]", (dds) => dds.map((d) => d.outerHTML));
        throw new Error(`${e.message}; the policy page's counts: ${counts.join(" ")}`);
      });

    // 3. Prometheus: the agent's per-policy counter, by name, scraped from node-b.
    for (const verdict of ["dropped", "allowed"]) {
      const expr = `palisade_agent_policy_verdicts_total{verdict="${verdict}", policy="${POLICY}"} > 0`;
      const got = await until(expr, WAIT_MS, async () => {
        const s = samples(await prom!.query(expr));
        return s.length > 0 ? s : undefined;
      });
      assert.deepEqual(
        got.map((s) => [s.metric.node, s.metric.namespace, s.metric.direction]),
        [["node-b", "shop", "ingress"]],
        expr,
      );
    }
  });
});
