// Owns the config of the test's own containerd (pure): everything under the run's directories,
// CRI with our CNI dirs and our image as the sandbox ("pause") image.
export interface ContainerdPaths {
  root: string;
  state: string;
  /** gRPC socket (the CRI endpoint). */
  socket: string;
  ttrpcSocket: string;
  /** runc's state root: by default /run/containerd/runc, shared with any other containerd. */
  runcRoot: string;
  cniBinDir: string;
  cniConfDir: string;
  sandboxImage: string;
}

// Snapshotters and plugins this host has no use for: fewer start-up probes and warnings.
const DISABLED = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
];

const q = (s: string) => JSON.stringify(s);

/** A version-2 config; unset keys keep `containerd config default` values. */
export function containerdConfig(p: ContainerdPaths): string {
  return `version = 2
root = ${q(p.root)}
state = ${q(p.state)}
disabled_plugins = [${DISABLED.map(q).join(", ")}]

[grpc]
  address = ${q(p.socket)}

[ttrpc]
  address = ${q(p.ttrpcSocket)}

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    # Without it runc fails to start the sandbox here (oom_score_adj below the parent's).
    restrict_oom_score_adj = true
    sandbox_image = ${q(p.sandboxImage)}
    # Pod netns bind mounts under our state dir, not /var/run/netns: teardown owns all of them.
    netns_mounts_under_state_dir = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = ${q(p.cniBinDir)}
      conf_dir = ${q(p.cniConfDir)}
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = ${q(p.runcRoot)}
`;
}
