// Owns the list of NetworkPolicy conformance cases (cases/*.cases.ts), in the order suites run them.
import { CHANGES_CASES } from "./cases/changes.cases.ts";
import { ISOLATION_CASES } from "./cases/isolation.cases.ts";
import { PORTS_CASES } from "./cases/ports.cases.ts";
import { SELECTORS_CASES } from "./cases/selectors.cases.ts";

export { type CaseContext, type ConformanceCase, caseContext, KEYS, PORTS } from "./cases/case.ts";

export const CASES = [...ISOLATION_CASES, ...SELECTORS_CASES, ...PORTS_CASES, ...CHANGES_CASES];
