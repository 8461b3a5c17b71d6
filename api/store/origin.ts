// Owns the type of a commit's origin: which kind of route made it, so the commit's own transaction
// can tell subscribers (apply.completed) and record an inbound hook's receipt.

/** Where a commit came from; every caller of store.commit names it. */
export type CommitOrigin =
  /** One object written by its own REST route (PUT or DELETE). */
  | { kind: "object" }
  /** A bundle applied by POST /v1/apply. */
  | { kind: "apply" }
  /**
   * A bundle applied by POST /v1/hooks/{receiverId}; messageId is null when the sender named none;
   * generation and signedAt (the bundle's palisade.dev/generation, a standard message's signed
   * timestamp) are recorded as the receiver's newest, null when absent.
   */
  | {
      kind: "hook";
      receiverId: string;
      messageId: string | null;
      bodyHash: string;
      generation: number | null;
      signedAt: number | null;
    };
