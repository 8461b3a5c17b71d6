// Owns parsing large YAML bodies off the event loop: one long-lived worker thread (started on the
// first body that needs it, restarted after a failure), a queue in front of it, and the answer to a
// worker that dies, throws or hangs. A 1.9 MB YAML bundle held the event loop 1.7 s when parsed in
// place; here the event loop only posts the text and marks what comes back.
//
// One worker, not a pool: the control plane runs on small machines (2 cores), where the event loop
// needs one; a pool would let a flood of YAML bodies take every core and multiply the parser's
// memory. Large YAML bodies are rare (applying a whole tree, or an attack), so they wait in line.
import { type ResourceLimits, Worker } from "node:worker_threads";
import { ApiError } from "./errors.ts";
import type { YamlDocuments } from "./yaml-documents.ts";
import type { YamlReply, YamlRequest } from "./yaml-messages.ts";

const ENTRY = new URL("./yaml-worker-entry.mjs", import.meta.url);

export interface YamlWorkerOptions {
  /**
   * Longest one body may parse before the worker is stopped and the body refused (default 30 s: a
   * 4 MiB body takes about 3 s on an idle core).
   */
  timeoutMs?: number;
  /**
   * Most characters of text that may wait for the worker (default 16 Mi, four bodies at the 4 MiB
   * limit, about 10 s of parsing); a body beyond it is refused 429 `request.yaml_busy` at once.
   */
  maxQueuedChars?: number;
  /** The worker's heap bounds (default: 512 MB old generation; a 4 MiB body needs far less). */
  resourceLimits?: ResourceLimits;
}

interface Job {
  id: number;
  text: string;
  resolve(docs: YamlDocuments): void;
  reject(err: ApiError): void;
}

function failed(why: string): ApiError {
  return new ApiError(
    "request.yaml_parser_failed",
    `the YAML parser failed on this body (${why}); nothing was applied, the next body gets a new parser`,
  );
}

export class YamlWorker {
  readonly #timeoutMs: number;
  readonly #maxQueuedChars: number;
  readonly #resourceLimits: ResourceLimits;
  #worker: Worker | undefined;
  #running: Job | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #queue: Job[] = [];
  #queuedChars = 0;
  #nextId = 1;
  #stopWhenIdle = false;
  /** Workers started so far (a test sees a restart). */
  started = 0;

  constructor({
    timeoutMs = 30_000,
    maxQueuedChars = 16 * 1024 * 1024,
    resourceLimits = { maxOldGenerationSizeMb: 512 },
  }: YamlWorkerOptions = {}) {
    this.#timeoutMs = timeoutMs;
    this.#maxQueuedChars = maxQueuedChars;
    this.#resourceLimits = resourceLimits;
  }

  /** The documents of `text`, parsed in the worker; rejects with the body reader's ApiError. */
  parse(text: string): Promise<YamlDocuments> {
    if (this.#queuedChars + text.length > this.#maxQueuedChars && this.#queue.length > 0) {
      return Promise.reject(
        new ApiError(
          "request.yaml_busy",
          `too many large YAML bodies wait for the parser (${this.#queue.length} queued); retry later, or send JSON`,
        ),
      );
    }
    this.#stopWhenIdle = false;
    return new Promise<YamlDocuments>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, text, resolve, reject });
      this.#queuedChars += text.length;
      this.#pump();
    });
  }

  /** Stops the worker once the bodies already queued are answered (a later body starts a new one). */
  stop(): Promise<void> {
    if (this.#running || this.#queue.length > 0) {
      this.#stopWhenIdle = true;
      return Promise.resolve();
    }
    return this.#discard();
  }

  /** The running worker, if any (tests stop it to see a crash answered). */
  get worker(): Worker | undefined {
    return this.#worker;
  }

  #pump(): void {
    if (this.#running) return;
    const job = this.#queue.shift();
    if (!job) {
      // Idle: the worker must not keep the process alive.
      this.#worker?.unref();
      if (this.#stopWhenIdle) void this.#discard();
      return;
    }
    this.#queuedChars -= job.text.length;
    this.#running = job;
    let worker: Worker;
    try {
      worker = this.#worker ?? this.#start();
    } catch (err) {
      this.#settle();
      job.reject(failed(`the worker did not start: ${(err as Error).message}`));
      return this.#pump();
    }
    worker.ref(); // a body is waiting: the process must not exit under it
    this.#timer = setTimeout(() => {
      this.#fail(worker, failed(`it took over ${this.#timeoutMs} ms`));
      void worker.terminate();
    }, this.#timeoutMs);
    worker.postMessage({ id: job.id, text: job.text } satisfies YamlRequest);
  }

  #start(): Worker {
    const worker = new Worker(ENTRY, { resourceLimits: this.#resourceLimits });
    this.started++;
    this.#worker = worker;
    worker.on("message", (reply: YamlReply) => {
      const job = this.#running;
      if (worker !== this.#worker || !job || reply.id !== job.id) return;
      this.#settle();
      if ("result" in reply) job.resolve(reply.result);
      else if ("refusal" in reply) job.reject(new ApiError(reply.refusal.code, reply.refusal.message));
      else job.reject(failed(reply.fault));
      this.#pump();
    });
    // An uncaught error (out of memory included) is followed by "exit"; the first one answers.
    worker.on("error", (err) => this.#fail(worker, failed(`${err.name}: ${err.message}`)));
    worker.on("exit", (code) => this.#fail(worker, failed(`the worker exited with code ${code}`)));
    return worker;
  }

  /** The worker failed (or was stopped): its body is refused, and the queue moves to a new worker. */
  #fail(worker: Worker, err: ApiError): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    const job = this.#running;
    this.#settle();
    job?.reject(err);
    this.#pump();
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = undefined;
  }

  async #discard(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#stopWhenIdle = false;
    await worker?.terminate();
  }
}

/** The process's YAML worker, shared by every app in it (api/http/body.ts). */
export const yamlWorker = new YamlWorker();
