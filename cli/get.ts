// Owns `palisade get`: shows namespaces, endpoints, policies, the revision or tokens (table/json/yaml).
import { defineCommand, EXIT_OK } from "./command.ts";
import { connect, connectionFlags } from "./connection.ts";
import { UsageError } from "./flags.ts";
import { findKind, itemsOf, type Kind, kindNames } from "./kinds.ts";
import { outputFlag, writeStructured } from "./output.ts";
import { DEFAULT_NAMESPACE, NAMESPACE_FLAG } from "./shared-flags.ts";
import { renderTable } from "./table.ts";

export const getCommand = defineCommand(
  {
    path: "get",
    summary: "show namespaces, endpoints, network policies, the revision or API tokens",
    args: [
      { name: "KIND", required: true },
      { name: "NAME", required: false },
    ],
    flags: [NAMESPACE_FLAG, outputFlag(["table", "json", "yaml"], "table, json or yaml"), ...connectionFlags],
    description: "Without NAME, lists every object of the kind (in --namespace for namespaced kinds).",
    sections: [
      {
        title: "Kinds",
        lines: [
          "namespaces (namespace, ns)               GET /v1/namespaces[/NAME]",
          "endpoints (endpoint, ep)                 GET /v1/namespaces/NAMESPACE/endpoints[/NAME]",
          "networkpolicies (networkpolicy, netpol)  GET /v1/namespaces/NAMESPACE/networkpolicies[/NAME]",
          "clusternetworkpolicies (clusternetworkpolicy, cnp)  GET /v1/clusternetworkpolicies[/NAME]",
          "revision (rev)                           GET /v1/revision (takes no NAME)",
          "tokens (token)                           GET /v1/tokens (takes no NAME)",
        ],
      },
      {
        title: "Examples",
        lines: ["palisade get ns", "palisade get netpol -n prod", "palisade get ep web-1 -n prod -o yaml"],
      },
    ],
  },
  async (parsed, _env, io) => {
    const [kindWord = "", itemName] = parsed.args;
    const kind = resolveKind(kindWord);
    if (itemName !== undefined && !kind.named) {
      throw new UsageError(`${kind.name} takes no NAME; got ${JSON.stringify(itemName)}`);
    }
    const namespace = parsed.values.namespace ?? DEFAULT_NAMESPACE;
    const client = await connect(parsed, io);
    const answer = await client.request("GET", kind.path(namespace, itemName));
    if (writeStructured(answer, parsed.values.output, io)) return EXIT_OK;
    const items = itemsOf(answer, kind);
    if (items.length === 0) {
      io.stderr.write(`No ${kind.name} found${kind.namespaced ? ` in namespace ${namespace}` : ""}.\n`);
    } else {
      io.stdout.write(`${renderTable(kind.columns, items)}\n`);
    }
    return EXIT_OK;
  },
);

function resolveKind(word: string): Kind {
  const kind = findKind(word);
  if (!kind) throw new UsageError(`unknown kind ${JSON.stringify(word)}; kinds: ${kindNames()}`);
  return kind;
}
