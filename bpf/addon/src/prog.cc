// Owns BPF_PROG_TEST_RUN: run a loaded program on a packet (and optional __sk_buff context).
#include <bpf/bpf.h>
#include <errno.h>

#include <vector>

#include "args.h"
#include "exports.h"

namespace pal {

// progTestRun(fd, data, ctx | null, repeat, dataOutSize)
//   -> { retval, durationNs (average per run), data, ctx | null }
static Napi::Value ProgTestRun(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0, "program fd");
  auto data = ArgBuffer(info, 1, "data");
  bool has_ctx = info.Length() > 2 && info[2].IsBuffer();
  uint32_t repeat = ArgU32(info, 3, "repeat");
  uint32_t out_size = ArgU32(info, 4, "dataOutSize");
  std::vector<uint8_t> data_out(out_size);
  std::vector<uint8_t> ctx_in, ctx_out;
  if (has_ctx) {
    auto ctx = info[2].As<Napi::Buffer<uint8_t>>();
    ctx_in.assign(ctx.Data(), ctx.Data() + ctx.Length());
    ctx_out.resize(ctx.Length());
  }
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data.Data(), .data_out = data_out.data(),
              .data_size_in = (uint32_t)data.Length(), .data_size_out = out_size,
              .ctx_in = has_ctx ? ctx_in.data() : nullptr, .ctx_out = has_ctx ? ctx_out.data() : nullptr,
              .ctx_size_in = (uint32_t)ctx_in.size(), .ctx_size_out = (uint32_t)ctx_out.size(),
              .repeat = (int)repeat);
  if (bpf_prog_test_run_opts(fd, &opts)) Throw(env, "BPF_PROG_TEST_RUN", errno);
  Napi::Object o = Napi::Object::New(env);
  o.Set("retval", Napi::Number::New(env, (int32_t)opts.retval));
  o.Set("durationNs", Napi::Number::New(env, opts.duration));
  o.Set("data", Napi::Buffer<uint8_t>::Copy(env, data_out.data(), std::min<size_t>(opts.data_size_out, out_size)));
  if (has_ctx)
    o.Set("ctx", Napi::Buffer<uint8_t>::Copy(env, ctx_out.data(), ctx_out.size()));
  else
    o.Set("ctx", env.Null());
  return o;
}

static Napi::Value ProgInfo(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "program fd");
  struct bpf_prog_info pi = {};
  uint32_t len = sizeof(pi);
  if (bpf_obj_get_info_by_fd(fd, &pi, &len)) Throw(info.Env(), "program info", errno);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("id", (double)pi.id);
  o.Set("type", (double)pi.type);
  o.Set("name", pi.name);
  // Kernel run statistics (only counted while run-time stats are on: enableRunStats or the sysctl).
  o.Set("runTimeNs", Napi::BigInt::New(info.Env(), (uint64_t)pi.run_time_ns));
  o.Set("runCount", Napi::BigInt::New(info.Env(), (uint64_t)pi.run_cnt));
  // Program size after the verifier (BPF instructions x 8) and as JIT-compiled machine code.
  o.Set("xlatedBytes", (double)pi.xlated_prog_len);
  o.Set("jitedBytes", (double)pi.jited_prog_len);
  return o;
}

// enableRunStats() -> fd. BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): the kernel counts run_time_ns and
// run_cnt of every program while this fd (or another holder, or the sysctl
// kernel.bpf_stats_enabled) is open. Closing the fd, or the process exiting, turns it back off, so
// a crashed benchmark cannot leave the host-wide accounting on, as a forgotten sysctl would.
static Napi::Value EnableRunStats(const Napi::CallbackInfo &info) {
  int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd < 0) Throw(info.Env(), "BPF_ENABLE_STATS", errno);
  return Napi::Number::New(info.Env(), fd);
}

void InitProg(Napi::Env env, Napi::Object exports) {
  exports.Set("progTestRun", Napi::Function::New(env, ProgTestRun));
  exports.Set("progInfo", Napi::Function::New(env, ProgInfo));
  exports.Set("enableRunStats", Napi::Function::New(env, EnableRunStats));
}

}  // namespace pal
