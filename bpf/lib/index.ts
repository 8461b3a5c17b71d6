// The public surface of the datapath library, for the agent: spec -> collection -> links, map
// codecs for wire/entries.ts shapes, stats, and the in-memory model.

export { ensureBpffsMounted, isBpffs } from "./bpffs.ts";
export type { EndpointValue } from "./codecs/endpoints.ts";
export type { DatapathConfig, DropEvent, EventStats } from "./codecs/events.ts";
export { REASONS, type ReasonName, reasonName } from "./codecs/reasons.ts";
export { Collection, type CollectionOptions, loadCollection } from "./collection.ts";
export { type GcResult, gcConntrack, readConntrack } from "./conntrack-gc.ts";
export {
  type Attachment,
  BpfDatapath,
  type DatapathSizes,
  DEFAULT_DATAPATH_SIZES,
  DEFAULT_EVENT_CONFIG,
  type LoadDatapathOptions,
  MAPS,
  PROGRAMS,
} from "./datapath.ts";
export {
  type ApplyResult,
  applyEndpoints,
  applyIpcache,
  applyPolicies,
  bumpPolicyGeneration,
  type Delta,
  type EndpointBinding,
  readEndpoints,
  readIpcache,
  readPolicies,
  readPolicyGeneration,
} from "./datapath-maps.ts";
export { BPF_ERROR_CODES, type BpfErrorCode, isBpfError } from "./errors.ts";
export { type Features, kernelTestSkipReason, probeFeatures } from "./features.ts";
export { type AttachOptions, attachTc, Link, type TcHook } from "./link.ts";
export { BpfMap, MAP_TYPE, type MapEntry, UPDATE } from "./map.ts";
export { type Hook, MemoryDatapath, type ModelVerdict } from "./model/memory-datapath.ts";
export { Program, type RunOptions, type RunResult } from "./program.ts";
export { RingBufferReader } from "./ringbuf.ts";
export {
  enableRunStats,
  nsPerRun,
  type RunStatsSample,
  type RunStatsSession,
  sampleRunStats,
} from "./run-stats.ts";
export {
  type CollectionSpec,
  loadCollectionSpec,
  type MapSpec,
  type ProgramSpec,
  withMaxEntries,
} from "./spec.ts";
export {
  type CounterSample,
  readCounter,
  readCounters,
  readEventStats,
  subscribeDropEvents,
} from "./stats.ts";
