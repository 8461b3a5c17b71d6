// Owns `palisade delete`: removes one namespace, endpoint, network policy or cluster network policy.
import { isRecord } from "./client.ts";
import { defineCommand, EXIT_OK } from "./command.ts";
import { connect, connectionFlags } from "./connection.ts";
import { UsageError } from "./flags.ts";
import { displayKind, findKind, kindNames } from "./kinds.ts";
import { DEFAULT_NAMESPACE, NAMESPACE_FLAG } from "./shared-flags.ts";
import { text } from "./table.ts";

export const deleteCommand = defineCommand(
  {
    path: "delete",
    summary: "delete a namespace, endpoint, network policy or cluster network policy",
    args: [
      { name: "KIND", required: true },
      { name: "NAME", required: true },
    ],
    flags: [NAMESPACE_FLAG, ...connectionFlags],
    description: "Sends DELETE to the object's route and prints the revision that removed it.",
    sections: [
      {
        title: "Kinds",
        lines: [
          "namespaces (namespace, ns)               DELETE /v1/namespaces/NAME",
          "endpoints (endpoint, ep)                 DELETE /v1/namespaces/NAMESPACE/endpoints/NAME",
          "networkpolicies (networkpolicy, netpol)  DELETE /v1/namespaces/NAMESPACE/networkpolicies/NAME",
          "clusternetworkpolicies (clusternetworkpolicy, cnp)  DELETE /v1/clusternetworkpolicies/NAME",
          "(API tokens are revoked with `palisade token revoke ID`.)",
        ],
      },
      { title: "Examples", lines: ["palisade delete netpol deny-all -n prod", "palisade delete ns staging"] },
    ],
  },
  async (parsed, _env, io) => {
    const [kindWord = "", itemName = ""] = parsed.args;
    const kind = findKind(kindWord);
    if (!kind?.deletable) {
      const known = kindNames((k) => k.deletable);
      const tokenHint = kind?.name === "tokens" ? " (use `palisade token revoke ID` for tokens)" : "";
      throw new UsageError(`cannot delete ${JSON.stringify(kindWord)}${tokenHint}; kinds: ${known}`);
    }
    const namespace = parsed.values.namespace ?? DEFAULT_NAMESPACE;
    const client = await connect(parsed, io);
    const answer = await client.request("DELETE", kind.path(namespace, itemName));
    const where = kind.namespaced ? ` in namespace ${namespace}` : "";
    const revision =
      isRecord(answer) && answer.revision !== undefined ? ` (revision ${String(answer.revision)})` : "";
    io.stdout.write(`${kind.singular} ${JSON.stringify(itemName)}${where} deleted${revision}\n`);
    const cascaded = cascadedObjects(answer, kind.singular, itemName);
    if (cascaded.length > 0) io.stdout.write(`also deleted: ${cascaded.join(", ")}\n`);
    return EXIT_OK;
  },
);

/** Objects a namespace deletion took with it (`cascaded` in the answer), the namespace itself left out. */
function cascadedObjects(answer: unknown, kind: string, name: string): string[] {
  if (!isRecord(answer) || !Array.isArray(answer.cascaded)) return [];
  return answer.cascaded
    .filter(isRecord)
    .map((item) => ({
      kind: displayKind(text(item.kind)),
      namespace: text(item.namespace),
      name: text(item.name),
    }))
    .filter((item) => !(item.kind === kind && item.name === name))
    .map((item) => `${item.kind} ${item.namespace ? `${item.namespace}/` : ""}${item.name ?? "?"}`);
}
