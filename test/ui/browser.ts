// Owns the browser side of the console tests: Debian's chromium, headless, driven by puppeteer-core
// (which never downloads a browser), where screenshots go, and serving an app on loopback.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const CHROMIUM = process.env.PALISADE_CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined (CI installs chromium: scripts/install-system-deps.sh). */
export function browserSkipReason(): string | undefined {
  if (!existsSync(CHROMIUM))
    return `no chromium at ${CHROMIUM} (apt-get install chromium, or bash scripts/install-system-deps.sh)`;
  return undefined;
}

export async function launch(): Promise<Browser> {
  const args = ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"];
  // Chromium's sandbox refuses to start as root; the tests run as root for the kernel suites.
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return puppeteer.launch({ executablePath: CHROMIUM, args, protocolTimeout: 120_000 });
}

/** A directory for screenshots outside the repository: $PALISADE_ARTIFACTS/ui, or a fresh tmp dir. */
export function artifactsDir(): string {
  const base = process.env.PALISADE_ARTIFACTS;
  const dir = base ? join(base, "ui") : mkdtempSync(join(tmpdir(), "palisade-ui-"));
  mkdirSync(dir, { recursive: true });
  console.log(`console screenshots: ${dir}`);
  return dir;
}

export const WIDTHS = { laptop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

/** Screenshots the page at both widths (full page) as <dir>/<name>-<width>.png. */
export async function screenshots(page: Page, dir: string, name: string): Promise<void> {
  for (const [label, viewport] of Object.entries(WIDTHS)) {
    await page.setViewport(viewport);
    await page.screenshot({ path: join(dir, `${name}-${label}-${viewport.width}.png`), fullPage: true });
  }
  await page.setViewport(WIDTHS.laptop);
}

/** Serves `fetch` on 127.0.0.1 (a free port); resolves to its origin and a close function. */
export async function serveLoopback(
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<{ origin: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) =>
      resolve({
        origin: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            (server as unknown as { closeAllConnections?(): void }).closeAllConnections?.();
            server.close(() => done());
          }),
      }),
    );
  });
}

/** Signs `page` in to the console at `origin` with `token`, through the sign-in page /ui redirects to. */
export async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/ui`, { waitUntil: "domcontentloaded" });
  assert.match(page.url(), /\/ui\/sign-in\?next=%2Fui$/);
  await page.type("#token", token);
  await Promise.all([
    page.waitForNavigation({ waitUntil: "domcontentloaded" }),
    page.click("button[type=submit]"),
  ]);
}
