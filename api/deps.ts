// Owns the one object of dependencies that every route factory receives.
import type { TokenRepository } from "./auth/tokens.ts";
import type { ApiMetrics } from "./metrics.ts";
import type { Store } from "./store/store.ts";

export interface Deps {
  store: Store;
  tokens: TokenRepository;
  metrics: ApiMetrics;
  adminToken: string;
  log: (line: Record<string, unknown>) => void;
}
