// Owns kernel feature probes (tcx, batch map ops, ring buffer) and small host facts the TS layer
// needs (monotonic clock as BPF sees it, possible CPUs, interface index by name).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "exports.h"

namespace pal {

int TcxLinkCreate(int prog_fd, uint32_t ifindex, bool ingress);

static int LoadTrivialTcProgram() {
  struct bpf_insn insns[] = {
      {.code = 0xb7, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},  // r0 = 0
      {.code = 0x95, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},  // exit
  };
  return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "pal_probe", "GPL", insns, 2, nullptr);
}

// tcx: BPF_LINK_CREATE to ifindex 0 fails with ENODEV when the kernel knows tcx, EINVAL otherwise.
static Napi::Value ProbeTcx(const Napi::CallbackInfo &info) {
  int prog = LoadTrivialTcProgram();
  if (prog < 0) Throw(info.Env(), "probe tcx: load test program", errno);
  int fd = TcxLinkCreate(prog, 0, true);
  close(prog);
  if (fd >= 0) close(fd);
  return Napi::Boolean::New(info.Env(), fd == -ENODEV);
}

// Batch ops on a map type (hash by default): update one element with BPF_MAP_UPDATE_BATCH.
static Napi::Value ProbeBatch(const Napi::CallbackInfo &info) {
  uint32_t type = info.Length() > 0 ? ArgU32(info, 0, "map type") : (uint32_t)BPF_MAP_TYPE_HASH;
  uint32_t key_size = type == BPF_MAP_TYPE_LPM_TRIE ? 8 : 4;
  LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = type == BPF_MAP_TYPE_LPM_TRIE ? (uint32_t)BPF_F_NO_PREALLOC : 0u);
  int map = bpf_map_create((enum bpf_map_type)type, "pal_probe", key_size, 4, 1, &mopts);
  if (map < 0) Throw(info.Env(), "probe batch: create map", errno);
  uint8_t key[8] = {32, 0, 0, 0, 1, 2, 3, 4};
  uint32_t value = 1, count = 1;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  int r = bpf_map_update_batch(map, key, &value, &count, &opts);
  close(map);
  return Napi::Boolean::New(info.Env(), r == 0);
}

static Napi::Value ProbeRingbuf(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1);
}

// CLOCK_MONOTONIC_COARSE in ns, the clock of bpf_ktime_get_coarse_ns (conntrack lifetimes).
static Napi::Value MonotonicNs(const Napi::CallbackInfo &info) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(ts.tv_sec) * UINT64_C(1000000000) + static_cast<uint64_t>(ts.tv_nsec));
}

static Napi::Value PossibleCpus(const Napi::CallbackInfo &info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) Throw(info.Env(), "count possible CPUs", -n);
  return Napi::Number::New(info.Env(), n);
}

// ifIndex(name) -> ifindex; ERR_BPF_NO_DEVICE when there is no such interface.
static Napi::Value IfIndex(const Napi::CallbackInfo &info) {
  std::string name = ArgString(info, 0, "interface name");
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) Throw(info.Env(), "interface index of " + name, ENODEV);
  return Napi::Number::New(info.Env(), idx);
}

void InitProbes(Napi::Env env, Napi::Object exports) {
  exports.Set("probeTcx", Napi::Function::New(env, ProbeTcx));
  exports.Set("probeBatch", Napi::Function::New(env, ProbeBatch));
  exports.Set("probeRingbuf", Napi::Function::New(env, ProbeRingbuf));
  exports.Set("monotonicNs", Napi::Function::New(env, MonotonicNs));
  exports.Set("possibleCpus", Napi::Function::New(env, PossibleCpus));
  exports.Set("ifIndex", Napi::Function::New(env, IfIndex));
}

}  // namespace pal
