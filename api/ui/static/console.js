// Palisade console client: the live flow table (EventSource on the console's relay of
// GET /v1/flows?follow=true) and a policy's live verdict counts. No framework and no build step;
// every value goes into the page as text (textContent), never as HTML.

(() => {
  const MAX_ROWS = 500;

  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function peer(p) {
    if (!p) return "?";
    const who = p.namespace ? `${p.namespace}/${p.pod}` : p.identity || "?";
    const where = p.port === undefined ? p.address : `${p.address}:${p.port}`;
    return `${who} (${where})`;
  }

  function policy(p) {
    if (!p) return "—";
    // A default deny names the policy that isolated the endpoint, as `palisade observe` does.
    if (p.kind === "DefaultDeny") {
      const by = p.isolatedBy;
      return by ? `default deny (${by.namespace}/${by.name})` : "default deny";
    }
    return `${p.namespace}/${p.name} rule ${p.rule}`;
  }

  function flowRow(f) {
    const tr = document.createElement("tr");
    tr.dataset.verdict = String(f.verdict);
    cell(tr, String(f.time));
    cell(tr, String(f.node));
    cell(tr, String(f.verdict), `verdict-${f.verdict}`);
    cell(tr, String(f.direction));
    cell(tr, peer(f.source));
    cell(tr, peer(f.destination));
    cell(tr, String(f.protocol));
    cell(tr, policy(f.policy));
    cell(tr, String(f.reason));
    return tr;
  }

  /** Why a stream was refused: one plain request to the same relay says it (status and JSON error). */
  async function whyRefused(url) {
    const u = new URL(url, location.href);
    u.searchParams.delete("follow");
    u.searchParams.set("limit", "1");
    try {
      const res = await fetch(u, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (res.status === 404) return "n/a: this server has no flow API (GET /v1/flows).";
      if (res.status === 401) return "Your session has ended: reload the page to sign in again.";
      const body = await res.json().catch(() => null);
      return `The flow API refused: ${body?.error?.message ?? res.status}`;
    } catch {
      return "The server cannot be reached.";
    }
  }

  /** Nodes the flow API could not ask (the JSON answer names them; the stream does not). */
  async function missingNodes(url) {
    const u = new URL(url, location.href);
    u.searchParams.delete("follow");
    u.searchParams.set("limit", "1");
    try {
      const res = await fetch(u, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (!res.ok) return [];
      const body = await res.json();
      return Array.isArray(body?.nodes?.missing) ? body.nodes.missing : [];
    } catch {
      return [];
    }
  }

  function startFlows(table) {
    const url = table.dataset.flowStream;
    const body = table.tBodies[0];
    const status = document.getElementById("flow-status");
    const say = (text) => {
      if (status) status.textContent = text;
    };
    let received = 0;
    const source = new EventSource(url);
    const missing = document.getElementById("flow-missing");
    source.addEventListener("open", async () => {
      say("Live: waiting for flows…");
      const nodes = await missingNodes(url);
      if (missing && nodes.length > 0)
        missing.textContent = `Not answering: ${nodes.map((n) => `${n.node} (${n.reason})`).join(", ")}.`;
    });
    source.addEventListener("flow", (ev) => {
      let flow;
      try {
        flow = JSON.parse(ev.data);
      } catch {
        return;
      }
      received++;
      body.prepend(flowRow(flow));
      while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
      say(`Live: ${received} flow${received === 1 ? "" : "s"} received.`);
    });
    source.addEventListener("error", async () => {
      if (source.readyState === EventSource.CONNECTING) {
        say("Connection lost; reconnecting…");
        return;
      }
      say(await whyRefused(url));
    });
    window.addEventListener("pagehide", () => source.close());
  }

  function startCounts(dl) {
    const { namespace, name } = dl.dataset;
    const set = (key, value) => {
      const dd = dl.querySelector(`[data-count="${key}"]`);
      if (dd) dd.textContent = value;
    };
    async function refresh() {
      try {
        const q = new URLSearchParams({ namespace, since: "1h", limit: "10000" });
        const res = await fetch(`/ui/api/flows?${q}`, {
          headers: { accept: "application/json" },
          credentials: "same-origin",
        });
        if (!res.ok) throw new Error(String(res.status));
        const { flows } = await res.json();
        const counts = { allowed: 0, dropped: 0 };
        for (const f of flows) {
          // A default deny counts against the policy that isolated the endpoint (as the agent's
          // palisade_agent_policy_verdicts_total does): that is where a policy's drops come from.
          const p = f.policy?.kind === "DefaultDeny" ? f.policy.isolatedBy : f.policy;
          if (p?.kind !== "NetworkPolicy" || p.namespace !== namespace || p.name !== name) continue;
          if (f.verdict in counts) counts[f.verdict]++;
        }
        set("allowed", String(counts.allowed));
        set("dropped", String(counts.dropped));
      } catch {
        set("allowed", "n/a");
        set("dropped", "n/a");
      }
    }
    refresh();
    setInterval(refresh, 15_000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const flows = document.querySelector("table[data-flow-stream]");
    if (flows) startFlows(flows);
    const counts = document.querySelector("[data-policy-counts]");
    if (counts) startCounts(counts);
  });
})();
