// Owns the sign-in page and the console's error page.

import type { FC } from "hono/jsx";
import { type Frame, Layout } from "./layout.tsx";

export const SignInPage: FC<{ next: string; error?: string }> = ({ next, error }) => (
  <Layout title="Sign in">
    <p>
      Sign in with a Palisade API token (admin or read scope). The token stays on the server; your browser
      gets only a session cookie.
    </p>
    {error && (
      <p class="error" role="alert">
        {error}
      </p>
    )}
    <form method="post" action="/ui/sign-in" class="stack">
      <input type="hidden" name="next" value={next} />
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" required spellcheck={false} />
      <button type="submit">Sign in</button>
    </form>
  </Layout>
);

export const ErrorPage: FC<{ title: string; message: string; frame?: Omit<Frame, "title"> }> = ({
  title,
  message,
  frame,
}) => (
  <Layout title={title} {...frame}>
    <p class="error" role="alert">
      {message}
    </p>
    <p>
      <a href="/ui">Back to the overview</a>
    </p>
  </Layout>
);
