// Owns the worker side of YAML parsing (yaml-worker.ts starts it, through yaml-worker-entry.mjs):
// one message in (an id and the body's text), one message out (the documents, the body reader's
// refusal, or a fault), one body at a time.
import { parentPort } from "node:worker_threads";
import { ApiError } from "./errors.ts";
import { parseYamlDocuments } from "./yaml-documents.ts";
import type { YamlReply, YamlRequest } from "./yaml-messages.ts";

if (!parentPort) throw new Error("yaml-thread.ts runs as a worker thread (see yaml-worker.ts)");
const port = parentPort;

port.on("message", ({ id, text }: YamlRequest) => {
  let reply: YamlReply;
  try {
    reply = { id, result: parseYamlDocuments(text) };
  } catch (err) {
    // A refusal crosses back as its code and message; anything else is the parser's fault.
    reply =
      err instanceof ApiError
        ? { id, refusal: { code: err.code, message: err.message } }
        : { id, fault: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  port.postMessage(reply);
});
