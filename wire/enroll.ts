// Owns the enrollment exchange: what an agent sends to POST /v1/enroll to trade an enrollment token
// for a node credential, and the answer it gets. The route and the agent both parse with these.
import { z } from "zod";
import { nodeNameSchema } from "./names.ts";

export const ENROLL_PATH = "/v1/enroll";

export const enrollRequestSchema = z.strictObject({
  token: z.string().min(1).max(200),
  node: nodeNameSchema,
  agentVersion: z.string().max(100).default("unknown"),
});
/** What an agent sends (agentVersion may be left out). */
export type EnrollRequest = z.input<typeof enrollRequestSchema>;

// Not strict: a newer control plane may say more.
export const enrollAnswerSchema = z.object({
  node: nodeNameSchema,
  credential: z.string().min(1),
});
export type EnrollAnswer = z.infer<typeof enrollAnswerSchema>;
