// Runs the shared verdict suite against the in-memory model.
import { modelHarness } from "../testing/model-harness.ts";
import { verdictCases } from "../verdict.case.ts";

verdictCases(modelHarness);
