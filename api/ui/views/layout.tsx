// Owns the page frame every console page shares: head, skip link, navigation, who is signed in, sign-out.

import { raw } from "hono/html";
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import type { Scope } from "../../auth/tokens.ts";

export interface Frame {
  title: string;
  /** The nav entry to mark current. */
  current?: "overview" | "namespaces" | "flows" | "matrix";
  /** Absent on the sign-in page. */
  signedIn?: { scope: Scope; csrf: string };
}

const NAV: { key: NonNullable<Frame["current"]>; href: string; label: string }[] = [
  { key: "overview", href: "/ui", label: "Overview" },
  { key: "namespaces", href: "/ui/namespaces", label: "Namespaces" },
  { key: "flows", href: "/ui/flows", label: "Live flows" },
  { key: "matrix", href: "/ui/matrix", label: "Reachability" },
];

export const Layout: FC<PropsWithChildren<Frame>> = ({ title, current, signedIn, children }) => (
  <>
    {raw("<!DOCTYPE html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Palisade`}</title>
        <link rel="stylesheet" href="/ui/static/console.css" />
        <script src="/ui/static/console.js" defer />
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">Palisade</span>
          {signedIn && (
            <nav aria-label="Console">
              <ul>
                {NAV.map((n) => (
                  <li>
                    <a href={n.href} aria-current={n.key === current ? "page" : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {signedIn && (
            <div class="who">
              <span class={`scope scope-${signedIn.scope}`}>
                {signedIn.scope === "read" ? "read-only token" : "admin token"}
              </span>
              <form method="post" action="/ui/sign-out">
                <input type="hidden" name="csrf" value={signedIn.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{title}</h1>
          {children}
        </main>
        <footer class="foot">
          <p>The console only reads: it changes nothing but your own sign-in.</p>
        </footer>
      </body>
    </html>
  </>
);

/** A table that scrolls sideways on narrow screens instead of overflowing the page. */
export const Scroll: FC<PropsWithChildren<{ label: string }>> = ({ label, children }) => (
  // tabindex: a scrolling region must be reachable by keyboard to scroll it.
  <section class="table-wrap" aria-label={label} tabindex={0}>
    {children}
  </section>
);

export const Labels: FC<{ labels: Record<string, string> }> = ({ labels }) => {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="labels">
      {entries.map(([k, v]) => (
        <li>
          <code>{`${k}=${v}`}</code>
        </li>
      ))}
    </ul>
  );
};

export function orNone(value: Child | null | undefined, none = "—"): Child {
  return value === null || value === undefined || value === "" ? <span class="muted">{none}</span> : value;
}
