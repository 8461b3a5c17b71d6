// Owns the test image: an OCI image-layout tar with one layer (busybox-static and its applet links),
// built locally because no registry is reachable. containerd (`ctr images import`) and podman
// (`podman load`) both import it; its config runs `sleep`, so it doubles as containerd's pause image.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onCleanup } from "../../e2e/harness/cleanup.ts";
import { sh } from "./sh.ts";

/** The name both runtimes know the image by once imported. */
export const IMAGE_REF = "localhost/palisade-test:1";
export const BUSYBOX = "/bin/busybox";
/** Applets linked into /bin (tests run these inside pods or with nsenter from the host). */
const APPLETS = ["sh", "sleep", "nc", "echo", "cat", "ip", "ls", "ps", "kill", "true", "wget", "env"];

const MEDIA = {
  layer: "application/vnd.oci.image.layer.v1.tar",
  config: "application/vnd.oci.image.config.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
} as const;

/** A deterministic tar of `dir`'s entries (no "./" prefix, owner root, mtime 0, sorted): stable digests. */
function tarOf(dir: string, out: string): void {
  sh("tar", [
    "--create",
    `--file=${out}`,
    `--directory=${dir}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--sort=name",
    "--mtime=@0",
    "--format=ustar",
    ...readdirSync(dir).sort(),
  ]);
}

function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Writes `bytes` as a content-addressed blob and returns its descriptor. */
function addBlob(layout: string, mediaType: string, bytes: Buffer) {
  const hex = sha256(bytes);
  writeFileSync(join(layout, "blobs", "sha256", hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

function buildInto(work: string): string {
  if (!existsSync(BUSYBOX)) throw new Error(`the test image needs ${BUSYBOX} (Debian: busybox-static)`);
  const rootfs = join(work, "rootfs");
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  for (const d of ["tmp", "proc", "sys", "dev", "etc"]) mkdirSync(join(rootfs, d));
  writeFileSync(join(rootfs, "bin", "busybox"), readFileSync(BUSYBOX), { mode: 0o755 });
  for (const applet of APPLETS) symlinkSync("busybox", join(rootfs, "bin", applet));
  const layerTar = join(work, "layer.tar");
  tarOf(rootfs, layerTar);
  const layerBytes = readFileSync(layerTar);

  const layout = join(work, "layout");
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
  const layer = addBlob(layout, MEDIA.layer, layerBytes);
  const config = addBlob(
    layout,
    MEDIA.config,
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        created: "1970-01-01T00:00:00Z",
        // Cmd, not Entrypoint: `podman run IMG sh -c ...` replaces it.
        config: { Env: ["PATH=/bin"], Cmd: ["/bin/sleep", "2147483647"], WorkingDir: "/" },
        rootfs: { type: "layers", diff_ids: [layer.digest] },
        history: [{ created: "1970-01-01T00:00:00Z", created_by: "palisade test harness" }],
      }),
    ),
  );
  const manifest = addBlob(
    layout,
    MEDIA.manifest,
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers: [layer] })),
  );
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const annotations = {
    "org.opencontainers.image.ref.name": IMAGE_REF,
    "io.containerd.image.name": IMAGE_REF,
  };
  writeFileSync(
    join(layout, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations }] }),
  );
  const out = join(work, "palisade-test-image.tar");
  tarOf(layout, out);
  return out;
}

let cached: string | undefined;

/** Path of the image tar, built once per process in a temp dir that is removed at exit. */
export function imageTar(): string {
  if (cached) return cached;
  const work = mkdtempSync(join(tmpdir(), "palisade-cni-image-"));
  onCleanup(`image ${work}`, () => rmSync(work, { recursive: true, force: true }));
  cached = buildInto(work);
  return cached;
}
