// A stand-in for the flow relay (hub.flows, api/flows/relay.ts) in the console tests: the real
// GET /v1/flows route stays in front (bearer auth, query parsing, filters, the follow stream's
// replay and Server-Sent Events), and answers from the flows a test emits instead of from agents.
// It replaces nothing in production; the real relay with agents on the real datapath is driven end
// to end by test/e2e/observe-everywhere.test.ts.
import type { FlowQueryResult, FlowRelay, Follower } from "../../api/flows/relay.ts";
import { type Flow, flowMatches } from "../../wire/flows.ts";

export type { Flow };

export class FlowStandIn {
  readonly flows: Flow[] = [];
  readonly #followers = new Set<Follower>();
  /** Nodes reported as not answering, as the relay names them. */
  missing: FlowQueryResult["nodes"]["missing"] = [];

  /** Follow streams open now (the route subscribes for each and releases when the client goes). */
  followers(): number {
    return this.#followers.size;
  }

  emit(flow: Flow): void {
    this.flows.push(flow);
    for (const follower of this.#followers) follower(flow);
  }

  /** Answers the app's relay from the emitted flows (deps.hub.flows of api/testing.ts). */
  install(relay: Pick<FlowRelay, "query" | "follow">): void {
    relay.query = async (filter, limit) => ({
      flows: this.flows.filter((f) => flowMatches(f, filter)).slice(-limit),
      nodes: { answered: ["node-a"], missing: this.missing },
      truncated: [],
    });
    relay.follow = (follower) => {
      this.#followers.add(follower);
      return () => {
        this.#followers.delete(follower);
      };
    };
  }
}
