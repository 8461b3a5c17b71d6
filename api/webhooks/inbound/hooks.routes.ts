// Owns POST /v1/hooks/{receiverId}: a signed policy bundle from CI or GitOps, verified (signature,
// timestamp window, replay) before anything is parsed, ordered (never older than the last bundle
// applied, see generation.ts), then applied all or nothing as one revision.
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { readBundleDocuments } from "../../apply/intake.ts";
import { ApiError } from "../../http/errors.ts";
import type { CommitOrigin } from "../../store/origin.ts";
import type { Store } from "../../store/store.ts";
import { hookAnswer, type Webhooks } from "../service.ts";
import { verifyGithubSignature, verifyStandardSignature } from "../signing.ts";
import { bundleGeneration, orderRefusal } from "./generation.ts";
import type { Receiver } from "./receivers.repository.ts";

/** Inbound message ids longer than this are refused (they are stored). */
const MAX_MESSAGE_ID = 256;

export function hookRoutes(webhooks: Webhooks, store: Store) {
  const app = new Hono();
  app.post(
    "/:receiverId",
    async function countOutcome(c, next) {
      await next();
      // Errors reach here already answered by onError only at the app level: count from the status.
      const replayed = c.res.headers.get("webhook-replayed") === "true";
      webhooks.metrics.inbound.inc({
        result: c.res.status < 300 ? (replayed ? "replayed" : "applied") : "refused",
      });
    },
    bodyLimit({
      maxSize: webhooks.maxHookBodyBytes,
      onError: () => {
        throw new ApiError(
          "hook.body_too_large",
          `a hook body holds at most ${webhooks.maxHookBodyBytes} bytes`,
        );
      },
    }),
    async (c) => {
      const receiver = webhooks.receivers.withSecret(c.req.param("receiverId"));
      if (!receiver) {
        throw new ApiError(
          "hook.receiver_not_found",
          `no webhook receiver with id ${c.req.param("receiverId")}`,
        );
      }
      const raw = Buffer.from(await c.req.arrayBuffer());
      const verified =
        receiver.kind === "github"
          ? verifyGithub(c, receiver, raw)
          : verifyStandard(c, receiver, raw, webhooks);
      if (verified.ping) return c.json({ pong: true, receiver: receiver.id });
      const bodyHash = createHash("sha256").update(raw).digest("hex");
      const replay =
        verified.messageId === null
          ? undefined
          : answerReplay(c, webhooks, receiver.id, verified.messageId, bodyHash);
      if (replay) return replay;
      const { docs, writes } = await readBundleDocuments(c, {
        scope: "hook",
        onUnreadable: unreadableHookBody,
      });
      const { generation, issues } = bundleGeneration(docs);
      if (issues.length > 0) throw ApiError.invalid("hook", issues);
      const incoming = { generation, signedAt: verified.signedAt };
      // The order is checked at the write's turn, after every write before it: the order checked
      // is the order the commit records.
      const { messageId } = verified;
      const inOrder = () => {
        // A copy of this message committed while this one waited for its turn: a replay, not a
        // stale generation (and not a bundle compiled again only to fail on the receipt's key).
        if (messageId !== null && webhooks.receivers.receipt(receiver.id, messageId)) throw APPLIED_MEANWHILE;
        const refusal = orderRefusal(receiver.kind, webhooks.receivers.order(receiver.id), incoming);
        if (refusal) throw refusal;
        return writes;
      };
      const origin: CommitOrigin = {
        kind: "hook",
        receiverId: receiver.id,
        messageId: verified.messageId,
        bodyHash,
        ...incoming,
      };
      try {
        const result = await store.submit(inOrder, { origin });
        return c.json(hookAnswer(result));
      } catch (err) {
        // The same message id committed meanwhile (a concurrent duplicate): answer as a replay.
        const code = (err as { code?: string }).code;
        if (messageId !== null && (err === APPLIED_MEANWHILE || code === "SQLITE_CONSTRAINT_PRIMARYKEY")) {
          const again = answerReplay(c, webhooks, receiver.id, messageId, bodyHash);
          if (again) return again;
        }
        throw err;
      }
    },
  );
  return app;
}

/** Thrown at a hook's turn when its message id was committed while it waited. */
const APPLIED_MEANWHILE = new Error("the message was applied while this copy waited");

interface Verified {
  messageId: string | null;
  /** The signed webhook-timestamp (standard receivers), null when the scheme signs none. */
  signedAt: number | null;
  ping: boolean;
}

function missing(names: string[]): ApiError {
  return new ApiError(
    "hook.headers_missing",
    `the request lacks the header${names.length > 1 ? "s" : ""} ${names.join(", ")}`,
  );
}

/** Standard Webhooks: webhook-id, webhook-timestamp within the tolerance, webhook-signature. */
function verifyStandard(
  c: Context,
  receiver: Receiver & { secret: string },
  raw: Buffer,
  webhooks: Webhooks,
): Verified {
  const id = c.req.header("webhook-id");
  const timestamp = c.req.header("webhook-timestamp");
  const signature = c.req.header("webhook-signature");
  const absent = [
    ["webhook-id", id],
    ["webhook-timestamp", timestamp],
    ["webhook-signature", signature],
  ].filter(([, v]) => !v);
  if (absent.length > 0) throw missing(absent.map(([n]) => n!));
  if (id!.length > MAX_MESSAGE_ID) {
    throw new ApiError(
      "hook.id_invalid",
      `webhook-id holds at most ${MAX_MESSAGE_ID} characters, got ${id!.length}`,
    );
  }
  if (!/^\d{1,12}$/.test(timestamp!)) {
    throw new ApiError(
      "hook.timestamp_invalid",
      `webhook-timestamp must be Unix seconds, got ${JSON.stringify(timestamp!.slice(0, 40))}`,
    );
  }
  const skew = Math.round(webhooks.clock.now() / 1000) - Number(timestamp);
  if (Math.abs(skew) > webhooks.toleranceSeconds) {
    throw new ApiError(
      "hook.timestamp_stale",
      `webhook-timestamp ${timestamp} is ${Math.abs(skew)} s in the ${skew > 0 ? "past" : "future"}; at most ${webhooks.toleranceSeconds} s is accepted`,
    );
  }
  if (!verifyStandardSignature(receiver.secret, id!, Number(timestamp), raw, signature!)) {
    throw new ApiError("hook.signature_invalid", "no v1 signature in webhook-signature matches the body");
  }
  return { messageId: id!, signedAt: Number(timestamp), ping: false };
}

/** GitHub style: X-Hub-Signature-256 over the body; X-GitHub-Delivery, when sent, is the message id. */
function verifyGithub(c: Context, receiver: Receiver & { secret: string }, raw: Buffer): Verified {
  const signature = c.req.header("x-hub-signature-256");
  if (!signature) throw missing(["X-Hub-Signature-256"]);
  if (!verifyGithubSignature(receiver.secret, raw, signature)) {
    throw new ApiError("hook.signature_invalid", "X-Hub-Signature-256 does not match the body");
  }
  const delivery = c.req.header("x-github-delivery") ?? null;
  if (delivery !== null && delivery.length > MAX_MESSAGE_ID) {
    throw new ApiError("hook.id_invalid", `X-GitHub-Delivery holds at most ${MAX_MESSAGE_ID} characters`);
  }
  return { messageId: delivery, signedAt: null, ping: c.req.header("x-github-event") === "ping" };
}

/** The first answer again when this message id was applied before; 409 when its body differs. */
function answerReplay(
  c: Context,
  webhooks: Webhooks,
  receiverId: string,
  messageId: string,
  bodyHash: string,
) {
  const receipt = webhooks.receivers.receipt(receiverId, messageId);
  if (!receipt) return undefined;
  if (receipt.bodyHash !== bodyHash) {
    throw new ApiError(
      "hook.id_reused",
      `message ${messageId} was applied before with another body; nothing applied`,
    );
  }
  return c.body(receipt.answer, receipt.status as 200, {
    "content-type": "application/json",
    "webhook-replayed": "true",
  });
}

/** A body that does not parse is the sender's problem: one hook code, the reader's code as cause. */
function unreadableHookBody(err: ApiError): ApiError {
  return new ApiError("hook.invalid_body", err.message, { details: { cause: err.code }, cause: err });
}
