// Owns `palisade apply`: sends a YAML or JSON file to POST /v1/apply and prints what was applied.
import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { isRecord } from "./client.ts";
import { defineCommand, EXIT_OK } from "./command.ts";
import { connect, connectionFlags } from "./connection.ts";
import { CliError } from "./failure.ts";
import { requireValue } from "./flags.ts";
import { type Io, workingDirectory } from "./io.ts";
import { displayKind } from "./kinds.ts";
import { field, text } from "./table.ts";

export const applyCommand = defineCommand(
  {
    path: "apply",
    summary: "create or update objects from a YAML or JSON file, all or nothing",
    args: [],
    flags: [
      {
        name: "filename",
        short: "f",
        type: "string",
        valueName: "FILE",
        description: "required: the file to apply, or - for stdin",
      },
      ...connectionFlags,
    ],
    description: [
      "Sends the file unchanged to POST /v1/apply: multi-document YAML (Content-Type: application/yaml)",
      "or a JSON list of objects (Content-Type: application/json; chosen for .json files and for",
      "content that parses as JSON). Objects are Namespace, NetworkPolicy, ClusterNetworkPolicy,",
      "Endpoint; the server accepts all of them in one revision or none.",
    ].join("\n"),
    sections: [
      {
        title: "Examples",
        lines: ["palisade apply -f policies.yaml", "cat objects.json | palisade apply -f -"],
      },
    ],
  },
  async (parsed, _env, io) => {
    const file = requireValue(parsed, "filename");
    const content = await readInput(file, io);
    if (content.trim() === "")
      throw new CliError(`nothing to apply: ${file === "-" ? "stdin" : file} is empty`);
    const client = await connect(parsed, io);
    const answer = await client.request("POST", "/v1/apply", {
      text: content,
      contentType: isJson(file, content) ? "application/json" : "application/yaml",
    });
    io.stdout.write(describeApplied(answer));
    return EXIT_OK;
  },
);

async function readInput(file: string, io: Io): Promise<string> {
  if (file === "-") return readStream(io.stdin ?? process.stdin);
  const path = resolve(workingDirectory(io), file);
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const reason = isRecord(error) && typeof error.code === "string" ? error.code : String(error);
    throw new CliError(`cannot read ${file} (${reason})`, { cause: error });
  }
}

async function readStream(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}

function isJson(file: string, content: string): boolean {
  const extension = extname(file).toLowerCase();
  if (extension === ".json") return true;
  if (extension === ".yaml" || extension === ".yml") return false;
  try {
    JSON.parse(content);
    return true;
  } catch {
    return false;
  }
}

/** One line per applied object (`networkpolicy prod/deny-all created`), then the revision. */
export function describeApplied(answer: unknown): string {
  if (!isRecord(answer)) return `${JSON.stringify(answer)}\n`;
  const lines = appliedObjects(answer).map((item) => {
    const kind = displayKind(text(item.kind));
    const namespace = text(item.namespace ?? field(item, "metadata", "namespace"));
    const name = text(item.name ?? field(item, "metadata", "name")) ?? "?";
    const outcome = text(item.op ?? item.action ?? item.result ?? item.status) ?? "applied";
    return `${kind} ${namespace ? `${namespace}/` : ""}${name} ${outcome}`;
  });
  if (answer.revision !== undefined) lines.push(`revision ${String(answer.revision)}`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : `${JSON.stringify(answer, null, 2)}\n`;
}

function appliedObjects(answer: Record<string, unknown>): Record<string, unknown>[] {
  for (const key of ["applied", "objects", "items", "results"]) {
    const list = answer[key];
    if (Array.isArray(list)) return list.filter(isRecord);
  }
  return [];
}
