// Owns the agent's explicit states and their allowed transitions; every transition is logged.
import type { Log } from "../lib/log.ts";

/**
 * enrolling: getting or loading the node credential; syncing: connected or connecting, no revision
 * confirmed yet; ready: enforcing a revision the control plane confirmed; degraded: still enforcing
 * the last good state, but disconnected or a revision failed; draining: stopping.
 */
export type AgentState = "enrolling" | "syncing" | "ready" | "degraded" | "draining";
export const AGENT_STATES: readonly AgentState[] = ["enrolling", "syncing", "ready", "degraded", "draining"];

const ALLOWED: Record<AgentState, readonly AgentState[]> = {
  enrolling: ["syncing", "draining"],
  syncing: ["ready", "degraded", "draining"],
  ready: ["syncing", "degraded", "draining"],
  degraded: ["syncing", "ready", "draining"],
  draining: [],
};

export class AgentStateMachine {
  #state: AgentState = "enrolling";
  #reason = "starting";
  readonly #log: Log;
  readonly #listeners = new Set<(s: AgentState) => void>();

  constructor(log: Log) {
    this.#log = log;
  }

  get state(): AgentState {
    return this.#state;
  }

  get reason(): string {
    return this.#reason;
  }

  onChange(listener: (s: AgentState) => void): void {
    this.#listeners.add(listener);
  }

  /** Moves to `to` when the transition is allowed; returns whether the state changed. */
  transition(to: AgentState, reason: string): boolean {
    const from = this.#state;
    if (from === to) return false;
    if (!ALLOWED[from].includes(to)) {
      this.#log({ level: "debug", msg: "agent state transition ignored", from, to, reason });
      return false;
    }
    this.#state = to;
    this.#reason = reason;
    this.#log({ level: "info", msg: "agent state", from, to, reason });
    for (const l of this.#listeners) l(to);
    return true;
  }
}
