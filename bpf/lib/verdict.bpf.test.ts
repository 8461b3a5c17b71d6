// Runs the shared verdict suite against the real programs with BPF_PROG_TEST_RUN.
import { kernelTestSkipReason } from "./features.ts";
import { bpfHarness } from "./testing/bpf-harness.ts";
import { verdictCases } from "./verdict.case.ts";

verdictCases(bpfHarness, kernelTestSkipReason());
