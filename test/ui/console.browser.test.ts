// The web console in a real browser (Debian's chromium, headless, via puppeteer-core): sign in,
// every page at laptop and phone widths (screenshots saved outside git), keyboard entry, the matrix
// against POST /v1/evaluate, live flows arriving without reload (from a stand-in of the flow API),
// a cross-origin form post refused, sign-out killing the cookie, and a read-scoped token.
//
// The stand-in keeps these cases fast and lets them emit flows with markup in them; the same live
// view over the real datapath (a connection the policy drops, named in the row) is covered by
// test/e2e/observe-everywhere.test.ts, with `palisade observe -f` and Prometheus beside it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "puppeteer-core";
import { ADMIN_TOKEN, createTestApp, type TestApp } from "../../api/testing.ts";
import { HOSTILE, SEEDED, seedTopology } from "../../api/ui/testing.ts";
import {
  artifactsDir,
  browserSkipReason,
  launch,
  screenshots,
  serveLoopback,
  signIn as signInAt,
  WIDTHS,
} from "./browser.ts";
import { type Flow, FlowStandIn } from "./flow-stand-in.ts";

const skip = browserSkipReason();
const WAIT = { timeout: 30_000 };

function dropped(pod: string, port: number): Flow {
  return {
    time: new Date().toISOString(),
    node: "node-a",
    endpoint: { namespace: "shop", name: "web" },
    direction: "ingress",
    verdict: "dropped",
    reason: "POLICY_DENIED",
    protocol: "TCP",
    source: { address: "198.18.40.5", port: 40312, namespace: "ops", pod, labels: { app: "monitor" } },
    destination: { address: "198.18.40.2", port, namespace: "shop", pod: "web", labels: { app: "web" } },
    policy: { kind: "DefaultDeny" },
  };
}

describe("web console in chromium", { skip, timeout: 600_000 }, () => {
  let t: TestApp;
  let flows: FlowStandIn;
  let server: { origin: string; close(): Promise<void> };
  let evil: { origin: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let dir: string;
  let readToken: string;

  before(async () => {
    t = createTestApp();
    // The real GET /v1/flows answers from the stand-in: the console's relay reaches it only through
    // the bearer auth in front of it, with the session's token (a stream refused fails the cases).
    flows = new FlowStandIn();
    flows.install(t.deps.hub.flows);
    await seedTopology(t.call);
    readToken = (await t.call("POST", "/v1/tokens", JSON.stringify({ scope: "read", description: "ui" })))
      .body.token;
    flows.emit({
      ...dropped("monitor", 80),
      verdict: "allowed",
      reason: "POLICY",
      policy: { kind: "NetworkPolicy", namespace: "shop", name: "web-from-ops", rule: 0 },
    });
    server = await serveLoopback(t.app.fetch);
    browser = await launch();
    page = await browser.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    await page.setViewport(WIDTHS.laptop);
    dir = artifactsDir();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await evil?.close();
  });

  const go = async (path: string) => {
    const res = await page.goto(`${server.origin}${path}`, { waitUntil: "domcontentloaded" });
    return res!;
  };
  const h1 = () => page.$eval("h1", (e) => e.textContent);

  const signIn = (p: Page, token: string) => signInAt(p, server.origin, token);

  it("signs in with a token into an HttpOnly, SameSite=Strict session cookie", async () => {
    await go("/ui/sign-in");
    await screenshots(page, dir, "sign-in");
    await signIn(page, ADMIN_TOKEN);
    assert.equal(await h1(), "Overview");
    const cookies = await page.cookies();
    const session = cookies.find((c) => c.name === "palisade_console");
    assert.ok(session);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    assert.equal(session.path, "/ui");
    assert.equal(await page.evaluate(() => document.cookie), "", "the page's script cannot read it");
    assert.ok(!(await page.content()).includes(ADMIN_TOKEN));
    await screenshots(page, dir, "overview");
  });

  it("starts keyboard navigation at the skip link, which moves focus to the content", async () => {
    await go("/ui/namespaces");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.className), "skip-link");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
    const unlabeled = await page.$$eval("input:not([type=hidden]), select", (els) =>
      els.filter((e) => !(e as HTMLInputElement).labels?.length).map((e) => e.outerHTML),
    );
    assert.deepEqual(unlabeled, []);
  });

  it("shows every page, readable at 1280 and 390 px (tables scroll inside their box)", async () => {
    const pages: [string, string, string][] = [
      ["/ui/namespaces", "Namespaces", "namespaces"],
      ["/ui/namespaces/shop", "Namespace shop", "namespace"],
      ["/ui/namespaces/shop/policies/web-from-ops", "Policy shop/web-from-ops", "policy"],
      ["/ui/flows", "Live flows", "flows"],
      ["/ui/matrix?namespace=shop&namespace=ops&protocol=TCP&port=80", "Reachability matrix", "matrix"],
    ];
    for (const [path, title, name] of pages) {
      const res = await go(path);
      assert.equal(res.status(), 200, path);
      assert.equal(await h1(), title);
      for (const viewport of Object.values(WIDTHS)) {
        await page.setViewport(viewport);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        const wide = await page.evaluate(() =>
          [...document.querySelectorAll("body *")]
            .filter(
              (e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".table-wrap"),
            )
            .slice(0, 5)
            .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
        );
        assert.ok(
          overflow <= 0,
          `${path} at ${viewport.width}px overflows by ${overflow}px: ${wide.join(", ")}`,
        );
      }
      await screenshots(page, dir, name);
    }
  });

  it("keeps markup in user data as text (no script runs)", async () => {
    await go("/ui/namespaces/shop/policies/web-from-ops");
    const yaml = await page.$eval("[data-testid=yaml]", (e) => e.textContent ?? "");
    assert.ok(yaml.includes("<script>window.__pwned=1</script>"), "shown as text");
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
  });

  it("shows a policy's live verdict counts from the flow API", async () => {
    await go("/ui/namespaces/shop/policies/web-from-ops");
    await page.waitForFunction(
      () => document.querySelector('[data-count="allowed"]')?.textContent === "1",
      WAIT,
    );
    assert.equal(await page.$eval('[data-count="dropped"]', (e) => e.textContent), "0");
  });

  it("draws the matrix with POST /v1/evaluate's verdict for every pair, the deciding policy on hover", async () => {
    for (const [protocol, port] of [
      ["TCP", 80],
      ["UDP", 53],
    ] as const) {
      await go(`/ui/matrix?namespace=shop&namespace=ops&protocol=${protocol}&port=${port}`);
      const cells = await page.$$eval("td.cell", (tds) =>
        tds.map((td) => ({
          source: td.getAttribute("data-source")!,
          destination: td.getAttribute("data-destination")!,
          verdict: td.getAttribute("data-verdict")!,
          title: td.getAttribute("title") ?? "",
          text: td.querySelector(".sr-only")?.textContent ?? "",
          background: getComputedStyle(td).backgroundColor,
        })),
      );
      assert.equal(cells.length, SEEDED.length ** 2);
      for (const cell of cells) {
        const [sns, sname] = cell.source.split("/");
        const [dns, dname] = cell.destination.split("/");
        const res = await fetch(`${server.origin}/v1/evaluate`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({
            source: { endpoint: { namespace: sns, name: sname } },
            destination: { endpoint: { namespace: dns, name: dname } },
            protocol,
            port,
          }),
        });
        const answer = await res.json();
        const pair = `${cell.source} -> ${cell.destination} ${protocol}/${port}`;
        assert.equal(cell.verdict, answer.verdict, pair);
        assert.ok(cell.title.length > 0 && cell.text.includes(cell.title), `${pair}: hover and text agree`);
        for (const dir of ["egress", "ingress"] as const) {
          const policy = answer[dir]?.policy;
          if (policy && answer[dir].reason === "policy_allowed")
            assert.ok(
              cell.title.includes(`${policy.namespace}/${policy.name}`),
              `${pair}: names ${policy.name}`,
            );
        }
      }
      const colors = new Set(cells.map((c) => `${c.verdict}:${c.background}`));
      assert.equal(colors.size, new Set(cells.map((c) => c.verdict)).size, "one color per verdict");
    }
  });

  it("adds flows to the live view as they arrive, without reloading, and names nodes not answering", async () => {
    flows.missing = [{ node: "node-b", reason: "timeout" }];
    await go("/ui/flows?verdict=dropped");
    await page.waitForFunction(
      () => document.getElementById("flow-status")?.textContent?.startsWith("Live"),
      WAIT,
    );
    await page.waitForFunction(
      () => document.getElementById("flow-missing")?.textContent === "Not answering: node-b (timeout).",
      WAIT,
    );
    const marker = await page.evaluate(() => {
      (window as { __same?: boolean }).__same = true;
      return document.querySelectorAll("#flows tbody tr").length;
    });
    assert.equal(marker, 0, "the held flow is allowed; the filter asks for dropped");
    flows.emit({
      ...dropped("monitor", 81),
      policy: {
        kind: "DefaultDeny",
        isolatedBy: { kind: "NetworkPolicy", namespace: "shop", name: "web-only" },
      },
    });
    flows.emit(dropped(HOSTILE, 82));
    await page.waitForFunction(() => document.querySelectorAll("#flows tbody tr").length === 2, WAIT);
    const rows = await page.$$eval("#flows tbody tr", (trs) => trs.map((tr) => tr.textContent ?? ""));
    assert.match(rows[1]!, /ops\/monitor.*default deny/s);
    const policies = await page.$$eval("#flows tbody tr td:nth-child(8)", (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.deepEqual(
      policies,
      ["default deny", "default deny (shop/web-only)"],
      "names the isolating policy",
    );
    assert.ok(rows[0]!.includes("<script>window.__pwned=1</script>"), "markup shown as text");
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.evaluate(() => (window as { __same?: boolean }).__same), true, "no reload");
    await screenshots(page, dir, "flows-live");
  });

  it("refuses a form posted from another origin, and the session survives it", async () => {
    await go("/ui");
    const csrf = await page.$eval("input[name=csrf]", (e) => (e as HTMLInputElement).value);
    // Another origin (another port) serves a page that posts the sign-out form, even with a CSRF
    // token it somehow learnt: the Origin check refuses it.
    evil = await serveLoopback(
      () =>
        new Response(
          `<!DOCTYPE html><form method="post" action="${server.origin}/ui/sign-out"><input name="csrf" value="${csrf}"><button id="go">go</button></form>`,
          { headers: { "content-type": "text/html" } },
        ),
    );
    const attacker = await browser.newPage();
    // Same browser context: the victim's cookie is there to be sent (same site: both are 127.0.0.1).
    await attacker.goto(evil.origin, { waitUntil: "domcontentloaded" });
    const [res] = await Promise.all([
      attacker.waitForNavigation({ waitUntil: "domcontentloaded" }),
      attacker.click("#go"),
    ]);
    assert.equal(res?.status(), 403);
    await attacker.close();
    assert.equal((await go("/ui")).status(), 200);
    assert.equal(await h1(), "Overview", "still signed in");
  });

  it("signs out server-side: the old cookie no longer works", async () => {
    await go("/ui");
    const before = (await page.cookies()).find((c) => c.name === "palisade_console")!;
    await Promise.all([
      page.waitForNavigation({ waitUntil: "domcontentloaded" }),
      page.click("form[action='/ui/sign-out'] button"),
    ]);
    assert.equal(await h1(), "Sign in");
    await page.setCookie(before);
    await go("/ui/namespaces");
    assert.match(page.url(), /\/ui\/sign-in\?next=%2Fui%2Fnamespaces$/);
    const status = await page.evaluate(async () => (await fetch("/ui/api/flows")).status);
    assert.equal(status, 401);
  });

  it("lets a read-scoped token see every page, marked read-only", async () => {
    const context = await browser.createBrowserContext();
    const reader = await context.newPage();
    reader.setDefaultTimeout(WAIT.timeout);
    await signIn(reader, readToken);
    for (const path of [
      "/ui",
      "/ui/namespaces/shop",
      "/ui/namespaces/shop/policies/api-from-web",
      "/ui/flows",
      "/ui/matrix?namespace=shop",
    ]) {
      const res = await reader.goto(`${server.origin}${path}`, { waitUntil: "domcontentloaded" });
      assert.equal(res?.status(), 200, path);
      assert.equal(await reader.$eval(".scope", (e) => e.textContent), "read-only token", path);
    }
    await context.close();
  });
});
