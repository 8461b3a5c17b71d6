// Owns `palisade token create|list|revoke`: API tokens with the admin or read scope.
import { isRecord, segment } from "./client.ts";
import { defineCommand, EXIT_OK } from "./command.ts";
import { connect, connectionFlags } from "./connection.ts";
import { requireValue } from "./flags.ts";
import { defineGroup } from "./group.ts";
import { itemsOf, tokensKind } from "./kinds.ts";
import { outputFlag, writeStructured } from "./output.ts";
import { renderTable, text } from "./table.ts";

const createCommand = defineCommand(
  {
    path: "token create",
    summary: "create an API token and print it (shown only once)",
    args: [],
    flags: [
      {
        name: "scope",
        type: "string",
        valueName: "SCOPE",
        description: "required: admin (read and write) or read (read only)",
        choices: ["admin", "read"],
      },
      { name: "description", type: "string", valueName: "TEXT", description: "what the token is for" },
      ...connectionFlags,
    ],
    description:
      "Sends POST /v1/tokens. The token goes to stdout alone, so it can be captured;\ndetails go to stderr.",
    sections: [
      {
        title: "Examples",
        lines: ['TOKEN=$(palisade token create --scope read --description "dashboards")'],
      },
    ],
  },
  async (parsed, _env, io) => {
    const body = { scope: requireValue(parsed, "scope"), description: parsed.values.description ?? "" };
    const client = await connect(parsed, io);
    const answer = await client.request("POST", "/v1/tokens", { json: body });
    const created = isRecord(answer) ? answer : {};
    io.stdout.write(`${text(created.token) ?? ""}\n`);
    io.stderr.write(
      `Created token ${text(created.id) ?? "?"} with scope ${text(created.scope) ?? body.scope}.\n` +
        "Warning: copy the token now; it is shown only once and cannot be retrieved later.\n",
    );
    return EXIT_OK;
  },
);

const listCommand = defineCommand(
  {
    path: "token list",
    summary: "list API tokens (never their secrets)",
    args: [],
    flags: [outputFlag(["table", "json", "yaml"], "table, json or yaml"), ...connectionFlags],
    description: "Sends GET /v1/tokens. Same as `palisade get tokens`.",
  },
  async (parsed, _env, io) => {
    const client = await connect(parsed, io);
    const answer = await client.request("GET", "/v1/tokens");
    if (writeStructured(answer, parsed.values.output, io)) return EXIT_OK;
    const items = itemsOf(answer, tokensKind);
    if (items.length === 0) io.stderr.write("No tokens found.\n");
    else io.stdout.write(`${renderTable(tokensKind.columns, items)}\n`);
    return EXIT_OK;
  },
);

const revokeCommand = defineCommand(
  {
    path: "token revoke",
    summary: "revoke an API token by id",
    args: [{ name: "ID", required: true }],
    flags: [...connectionFlags],
    description: "Sends DELETE /v1/tokens/ID. Requests with the token fail from then on.",
  },
  async (parsed, _env, io) => {
    const [id = ""] = parsed.args;
    const client = await connect(parsed, io);
    await client.request("DELETE", `/v1/tokens/${segment(id)}`);
    io.stdout.write(`token ${id} revoked\n`);
    return EXIT_OK;
  },
);

export const tokenCommand = defineGroup(
  {
    path: "token",
    summary: "create, list and revoke API tokens",
    description: "API tokens are bearer tokens with the scope admin (read and write) or read (read only).",
  },
  [createCommand, listCommand, revokeCommand],
);
