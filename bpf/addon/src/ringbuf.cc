// Owns ring-buffer consumption on the event loop: libbpf's ring_buffer epoll fd watched by a
// uv_poll handle; each wakeup drains the ring and calls JS once with an array of record copies.
#include <bpf/libbpf.h>
#include <errno.h>
#include <uv.h>

#include <unordered_map>
#include <vector>

#include "args.h"
#include "exports.h"

namespace pal {

struct Reader {
  uint32_t id;
  napi_env env;
  ring_buffer *rb = nullptr;
  uv_poll_t poll;
  Napi::FunctionReference callback;
  std::vector<std::vector<uint8_t>> pending;
};

static std::unordered_map<uint32_t, Reader *> g_readers;
static uint32_t g_next_reader = 1;

static int OnSample(void *ctx, void *data, size_t size) {
  auto *r = static_cast<Reader *>(ctx);
  auto *bytes = static_cast<uint8_t *>(data);
  r->pending.emplace_back(bytes, bytes + size);
  return 0;
}

// Drains the ring and hands the records to JS; returns the number delivered.
static size_t Drain(Reader *r) {
  int n = ring_buffer__consume(r->rb);
  if (n < 0 || r->pending.empty()) return 0;
  Napi::Env env(r->env);
  Napi::HandleScope scope(env);
  Napi::Array records = Napi::Array::New(env, r->pending.size());
  for (size_t i = 0; i < r->pending.size(); i++)
    records.Set((uint32_t)i, Napi::Buffer<uint8_t>::Copy(env, r->pending[i].data(), r->pending[i].size()));
  size_t count = r->pending.size();
  r->pending.clear();
  try {
    Napi::AsyncContext ctx(env, "palisade.ringbuf");
    r->callback.MakeCallback(env.Global(), {records}, ctx);
  } catch (const Napi::Error &e) {
    napi_fatal_exception(env, e.Value());
  }
  return count;
}

static void OnPoll(uv_poll_t *handle, int status, int events) {
  auto *r = static_cast<Reader *>(handle->data);
  if (status == 0) Drain(r);
}

// ringbufOpen(mapFd, callback(records: Buffer[])) -> reader id
static Napi::Value RingbufOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int map_fd = ArgFd(info, 0, "ring buffer map fd");
  if (info.Length() < 2 || !info[1].IsFunction()) ThrowArg(env, "callback must be a function");
  auto *r = new Reader();
  r->id = g_next_reader++;
  r->env = env;
  r->rb = ring_buffer__new(map_fd, OnSample, r, nullptr);
  int err = libbpf_get_error(r->rb);
  if (!r->rb || err) {
    delete r;
    Throw(env, "ring buffer open", err ? err : errno);
  }
  uv_loop_t *loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &r->poll, ring_buffer__epoll_fd(r->rb));
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, OnPoll);
  r->callback = Napi::Persistent(info[1].As<Napi::Function>());
  g_readers[r->id] = r;
  return Napi::Number::New(env, r->id);
}

static Reader *ReaderArg(const Napi::CallbackInfo &info) {
  uint32_t id = ArgU32(info, 0, "reader id");
  auto it = g_readers.find(id);
  return it == g_readers.end() ? nullptr : it->second;
}

// ringbufConsume(id): drains now (for deterministic tests); returns records delivered.
static Napi::Value RingbufConsume(const Napi::CallbackInfo &info) {
  Reader *r = ReaderArg(info);
  if (!r) ThrowArg(info.Env(), "reader id is not open");
  return Napi::Number::New(info.Env(), (double)Drain(r));
}

static Napi::Value RingbufClose(const Napi::CallbackInfo &info) {
  Reader *r = ReaderArg(info);
  if (!r) return info.Env().Undefined();
  g_readers.erase(r->id);
  uv_poll_stop(&r->poll);
  r->callback.Reset();
  uv_close(reinterpret_cast<uv_handle_t *>(&r->poll), [](uv_handle_t *h) {
    auto *reader = static_cast<Reader *>(h->data);
    ring_buffer__free(reader->rb);
    delete reader;
  });
  return info.Env().Undefined();
}

// ringbufRef(id, ref): whether the reader keeps the process alive (default: no).
static Napi::Value RingbufRef(const Napi::CallbackInfo &info) {
  Reader *r = ReaderArg(info);
  if (!r) ThrowArg(info.Env(), "reader id is not open");
  if (ArgBool(info, 1, "ref"))
    uv_ref(reinterpret_cast<uv_handle_t *>(&r->poll));
  else
    uv_unref(reinterpret_cast<uv_handle_t *>(&r->poll));
  return info.Env().Undefined();
}

void InitRingbuf(Napi::Env env, Napi::Object exports) {
  exports.Set("ringbufOpen", Napi::Function::New(env, RingbufOpen));
  exports.Set("ringbufConsume", Napi::Function::New(env, RingbufConsume));
  exports.Set("ringbufClose", Napi::Function::New(env, RingbufClose));
  exports.Set("ringbufRef", Napi::Function::New(env, RingbufRef));
}

}  // namespace pal
