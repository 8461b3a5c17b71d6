// Owns the web console's routes under /ui: security headers, static files, sign-in and sign-out,
// the session guard in front of every page, and the relay that lets the console's own client script
// read the flow API with its session (the API itself keeps bearer auth only).

import { readFileSync } from "node:fs";
import { type Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import { tokenScope } from "../auth/middleware.ts";
import type { Deps } from "../deps.ts";
import { errorBody } from "../http/errors.ts";
import {
  COOKIE,
  type ConsoleEnv,
  clearSessionCookie,
  formIsGenuine,
  requireSession,
  safeNext,
  sameOrigin,
  setSessionCookie,
} from "./guard.ts";
import { pageRoutes } from "./pages.routes.tsx";
import { type SessionOptions, SessionStore } from "./sessions.ts";
import { ErrorPage, SignInPage } from "./views/sign-in.tsx";

export interface ConsoleOptions {
  /** Answers a request with the whole API app (bearer auth included): the relay's way in. */
  relay: (request: Request) => Response | Promise<Response>;
  sessions?: SessionOptions;
}

/** The API paths (under /v1) the console's client script may read through /ui/api with its session. */
const RELAYED = ["/flows"] as const;

const STATIC: Record<string, { body: string; type: string }> = {
  "console.js": { body: readStatic("console.js"), type: "text/javascript; charset=utf-8" },
  "console.css": { body: readStatic("console.css"), type: "text/css; charset=utf-8" },
};

// Only this server's own files: no inline script or style, no other origin, no framing.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function consoleRoutes(deps: Deps, opts: ConsoleOptions) {
  const sessions = new SessionStore(opts.sessions);
  const verify = (token: string) => tokenScope(token, deps);
  const app = new Hono<ConsoleEnv>();

  app.use(async (c, next) => {
    await next();
    c.res.headers.set("Content-Security-Policy", CSP);
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    // Not no-referrer: under it, Chromium sends `Origin: null` on form posts, and the Origin check
    // (guard.ts) would refuse the console's own forms. same-origin still sends nothing elsewhere.
    c.res.headers.set("Referrer-Policy", "same-origin");
    c.res.headers.set("X-Frame-Options", "DENY");
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });

  app.get("/static/:file", (c) => {
    const file = STATIC[c.req.param("file")];
    if (!file) return c.text("not found", 404);
    return c.body(file.body, 200, { "Content-Type": file.type, "Cache-Control": "no-cache" });
  });

  app.get("/sign-in", (c) => {
    // Already signed in: straight to the console.
    if (sessions.get(getCookie(c, COOKIE))) return c.redirect(safeNext(c.req.query("next")), 303);
    return c.html(<SignInPage next={safeNext(c.req.query("next"))} />);
  });

  app.post("/sign-in", async (c) => {
    // Origin checked here too: a forged sign-in would put the victim in the attacker's session.
    if (!sameOrigin(c)) return crossOrigin(c);
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const token = typeof form.token === "string" ? form.token.trim() : "";
    const scope = token ? verify(token) : null;
    if (!scope) {
      deps.log({ level: "warn", msg: "console sign-in refused: unknown, malformed or revoked token" });
      c.status(401);
      return c.html(<SignInPage next={next} error="That token is unknown, malformed or revoked." />);
    }
    // A sign-in replaces the browser's previous session (if any) rather than leaving it live.
    const previous = getCookie(c, COOKIE);
    if (previous) sessions.delete(previous);
    const session = sessions.create(token, scope);
    setSessionCookie(c, session, sessions.maxAgeMs);
    deps.log({ level: "info", msg: "console sign-in", scope });
    return c.redirect(next, 303);
  });

  app.post("/sign-out", async (c) => {
    const id = getCookie(c, COOKIE);
    const session = sessions.get(id);
    if (!session || !id) {
      clearSessionCookie(c);
      return c.redirect("/ui/sign-in", 303);
    }
    if (!formIsGenuine(c, session, await c.req.parseBody())) return crossOrigin(c);
    sessions.delete(id);
    clearSessionCookie(c);
    return c.redirect("/ui/sign-in", 303);
  });

  const signedOut = (c: Context) => {
    clearSessionCookie(c);
    if (c.req.path.startsWith("/ui/api/")) {
      c.status(401);
      return c.json(errorBody("console.signed_out", "sign in to the console again"));
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return c.redirect("/ui/sign-in", 303);
    const url = new URL(c.req.url);
    return c.redirect(`/ui/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  };
  app.use("*", requireSession(sessions, verify, signedOut));

  // Read-only relay: the request goes through the whole API app with the session's token as its
  // bearer token, so the API's auth, scopes and answers are exactly those of a direct call. Only the
  // paths listed here are relayed (today the flow API, which the live pages read).
  for (const path of RELAYED) {
    app.get(`/api${path}`, async (c) => {
      const url = new URL(c.req.url);
      const upstream = await opts.relay(
        new Request(new URL(`/v1${path}${url.search}`, url), {
          headers: {
            authorization: `Bearer ${c.get("session").token}`,
            accept: c.req.header("accept") ?? "*/*",
          },
          signal: c.req.raw.signal,
        }),
      );
      const headers = new Headers({ "Cache-Control": "no-store" });
      const type = upstream.headers.get("content-type");
      if (type) headers.set("Content-Type", type);
      return new Response(upstream.body, { status: upstream.status, headers });
    });
  }

  app.route("/", pageRoutes(deps));

  // Last: a console page that does not exist (the API's JSON 404 is for the API).
  app.all("*", (c) => {
    c.status(404);
    return c.html(<ErrorPage title="Not found" message={`The console has no page ${c.req.path}.`} />);
  });
  return app;
}

function crossOrigin(c: Context) {
  c.status(403);
  return c.html(
    <ErrorPage
      title="Refused"
      message="This form was not sent from a page of this console (console.cross_origin): refused."
    />,
  );
}

function readStatic(name: string): string {
  return readFileSync(new URL(`./static/${name}`, import.meta.url), "utf8");
}
