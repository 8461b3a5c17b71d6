// The compiler's map-state diffs are the wire algebra (wire/map-delta.ts owns them); this keeps the
// compiler's import path while engine.ts and nodes.ts are being split.
export { diffMaps, sameEntry } from "../../../wire/map-delta.ts";
