// Tests the console's session table: expiry (idle and absolute), the bound, sign-out, CSRF matching.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../lib/testing/manual-clock.ts";
import { csrfMatches, SessionStore } from "./sessions.ts";

describe("console sessions", () => {
  it("ends a session after the idle period, and use keeps it alive", () => {
    const clock = new ManualClock(1_000);
    const store = new SessionStore({ idleMs: 100, maxAgeMs: 10_000, clock });
    const s = store.create("tok", "admin");
    clock.advance(90);
    assert.equal(store.get(s.id), s);
    clock.advance(90);
    assert.equal(store.get(s.id), s, "used 90 ms ago");
    clock.advance(101);
    assert.equal(store.get(s.id), undefined);
    assert.equal(store.size, 0, "an expired session is removed");
  });

  it("ends a session at its absolute age however often it is used", () => {
    const clock = new ManualClock(0);
    const store = new SessionStore({ idleMs: 100, maxAgeMs: 250, clock });
    const s = store.create("tok", "read");
    for (let i = 0; i < 5; i++) {
      clock.advance(50);
      assert.equal(store.get(s.id), s);
    }
    clock.advance(1);
    assert.equal(store.get(s.id), undefined);
  });

  it("keeps at most maxSessions, dropping the least recently used", () => {
    const clock = new ManualClock(0);
    const store = new SessionStore({ maxSessions: 2, clock });
    const a = store.create("a", "admin");
    const b = store.create("b", "admin");
    assert.ok(store.get(a.id), "a is now the most recently used");
    const c = store.create("c", "admin");
    assert.equal(store.size, 2);
    assert.equal(store.get(b.id), undefined);
    assert.ok(store.get(a.id));
    assert.ok(store.get(c.id));
  });

  it("signs out one session, or every session of a token", () => {
    const store = new SessionStore();
    const a1 = store.create("a", "admin");
    const a2 = store.create("a", "admin");
    const b = store.create("b", "read");
    assert.equal(store.delete(a1.id), true);
    assert.equal(store.delete(a1.id), false);
    assert.equal(store.get(a1.id), undefined);
    assert.equal(store.deleteByToken("a"), 1);
    assert.equal(store.get(a2.id), undefined);
    assert.ok(store.get(b.id));
    assert.equal(store.get(undefined), undefined);
    assert.equal(store.get(""), undefined);
  });

  it("gives each session random, distinct ids and CSRF tokens, and matches CSRF tokens exactly", () => {
    const store = new SessionStore();
    const a = store.create("t", "admin");
    const b = store.create("t", "admin");
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.csrf, b.csrf);
    assert.notEqual(a.id, a.csrf);
    assert.equal(csrfMatches(a, a.csrf), true);
    for (const wrong of [b.csrf, "", undefined, 42, `${a.csrf}x`, a.csrf.slice(1)]) {
      assert.equal(csrfMatches(a, wrong), false, String(wrong));
    }
  });
});
