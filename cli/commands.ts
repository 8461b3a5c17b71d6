// Owns the list of `palisade` commands, in help order, and the environment variables they read.

import { agentCommand } from "./agent.ts";
import { applyCommand } from "./apply.ts";
import { cniCommand } from "./cni.ts";
import type { Command } from "./command.ts";
import { deleteCommand } from "./delete.ts";
import { demoCommand } from "./demo.ts";
import { evaluateCommand } from "./evaluate.ts";
import { getCommand } from "./get.ts";
import { observeCommand } from "./observe.ts";
import { serverCommand } from "./server.ts";
import { tokenCommand } from "./token.ts";
import { upCommand } from "./up.ts";

export const commands: Command[] = [
  serverCommand,
  applyCommand,
  getCommand,
  deleteCommand,
  evaluateCommand,
  observeCommand,
  tokenCommand,
  agentCommand,
  upCommand,
  cniCommand,
  demoCommand,
];

export const environment: [string, string][] = [
  ["PALISADE_SERVER", "control plane URL for client commands (default: http://127.0.0.1:7400)"],
  ["PALISADE_TOKEN", "bearer token for client commands (default: ./data/admin-token when it exists)"],
  ["PALISADE_ADMIN_TOKEN", "server, up: the admin token (default: generated into <db dir>/admin-token)"],
  ["PALISADE_LISTEN", "server, up: --listen"],
  ["PALISADE_DB", "server, up: --db"],
  ["PALISADE_LOG_LEVEL", "server, up: --log-level"],
  ["PALISADE_NODE", "agent, up, demo: --node"],
];
