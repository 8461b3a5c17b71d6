// Owns the long map operations, run off the event loop: batch update, batch delete, full dump.
// Batch syscalls are used where the map type has them; otherwise one syscall per element, still
// on the worker thread.
#include <bpf/bpf.h>
#include <errno.h>

#include <vector>

#include "args.h"
#include "exports.h"

namespace pal {

static bool NotSupported(int err) { return err == EOPNOTSUPP || err == 524; }

class MapWorker : public Napi::AsyncWorker {
 public:
  MapWorker(Napi::Env env, const char *op)
      : Napi::AsyncWorker(env), op_(op), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Keep(Napi::Value v) { refs_.push_back(Napi::Persistent(v.As<Napi::Object>())); }

 protected:
  void OnOK() override {
    if (err_) {
      Napi::Error e = MakeError(Env(), op_, err_);
      e.Set("done", Napi::Number::New(Env(), done_));
      deferred_.Reject(e.Value());
    } else {
      deferred_.Resolve(Result());
    }
  }
  virtual Napi::Value Result() {
    Napi::Object o = Napi::Object::New(Env());
    o.Set("count", (double)done_);
    o.Set("batched", batched_);
    return o;
  }
  const char *op_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> refs_;
  int err_ = 0;
  uint32_t done_ = 0;
  bool batched_ = false;
};

class UpdateWorker : public MapWorker {
 public:
  UpdateWorker(Napi::Env env, int fd, uint8_t *k, size_t ks, uint8_t *v, size_t vs, uint32_t n, uint64_t f)
      : MapWorker(env, "map update batch"), fd_(fd), k_(k), ks_(ks), v_(v), vs_(vs), n_(n), flags_(f) {}
  void Execute() override {
    while (done_ < n_) {
      uint32_t count = n_ - done_;
      LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags_);
      int r = bpf_map_update_batch(fd_, k_ + done_ * ks_, v_ + done_ * vs_, &count, &opts);
      if (r == 0) {
        batched_ = true;
        done_ += count;
        continue;
      }
      int err = errno;
      if (NotSupported(err) && !batched_) return Singles();
      done_ += count;
      err_ = err;
      return;
    }
  }

 private:
  void Singles() {
    for (; done_ < n_; done_++) {
      if (bpf_map_update_elem(fd_, k_ + done_ * ks_, v_ + done_ * vs_, flags_)) {
        err_ = errno;
        return;
      }
    }
  }
  int fd_;
  uint8_t *k_;
  size_t ks_;
  uint8_t *v_;
  size_t vs_;
  uint32_t n_;
  uint64_t flags_;
};

// Deletes every key; keys already absent are skipped (counted in `missing`), not an error.
class DeleteWorker : public MapWorker {
 public:
  DeleteWorker(Napi::Env env, int fd, uint8_t *k, size_t ks, uint32_t n)
      : MapWorker(env, "map delete batch"), fd_(fd), k_(k), ks_(ks), n_(n) {}
  void Execute() override {
    bool singles = false;
    while (done_ < n_) {
      if (singles) {
        if (bpf_map_delete_elem(fd_, k_ + done_ * ks_)) {
          if (errno != ENOENT) {
            err_ = errno;
            return;
          }
          missing_++;
        }
        done_++;
        continue;
      }
      uint32_t count = n_ - done_;
      LIBBPF_OPTS(bpf_map_batch_opts, opts);
      int r = bpf_map_delete_batch(fd_, k_ + done_ * ks_, &count, &opts);
      if (r == 0) {
        batched_ = true;
        done_ += count;
        continue;
      }
      int err = errno;
      done_ += count;
      if (err == ENOENT) {
        missing_++;
        done_++;
      } else if (NotSupported(err) && !batched_) {
        singles = true;
      } else {
        err_ = err;
        return;
      }
    }
  }
  Napi::Value Result() override {
    Napi::Object o = MapWorker::Result().As<Napi::Object>();
    o.Set("missing", (double)missing_);
    return o;
  }

 private:
  int fd_;
  uint8_t *k_;
  size_t ks_;
  uint32_t n_;
  uint32_t missing_ = 0;
};

class DumpWorker : public MapWorker {
 public:
  DumpWorker(Napi::Env env, int fd, size_t ks, size_t vs) : MapWorker(env, "map dump"), fd_(fd), ks_(ks), vs_(vs) {}
  void Execute() override {
    std::vector<uint8_t> key(ks_), next(ks_), value(vs_);
    const void *prev = nullptr;
    while (bpf_map_get_next_key(fd_, prev, next.data()) == 0) {
      if (bpf_map_lookup_elem(fd_, next.data(), value.data()) == 0) {
        keys_.insert(keys_.end(), next.begin(), next.end());
        values_.insert(values_.end(), value.begin(), value.end());
        done_++;
      } else if (errno != ENOENT) {
        err_ = errno;
        return;
      }
      key.swap(next);
      prev = key.data();
    }
    if (errno != ENOENT) err_ = errno;
  }
  Napi::Value Result() override {
    Napi::Object o = Napi::Object::New(Env());
    o.Set("count", (double)done_);
    o.Set("keys", Napi::Buffer<uint8_t>::Copy(Env(), keys_.data(), keys_.size()));
    o.Set("values", Napi::Buffer<uint8_t>::Copy(Env(), values_.data(), values_.size()));
    return o;
  }

 private:
  int fd_;
  size_t ks_, vs_;
  std::vector<uint8_t> keys_, values_;
};

static void CheckSizes(const Napi::CallbackInfo &info, size_t have, size_t stride, uint32_t n, const char *what) {
  if (stride == 0 || have < (size_t)n * stride)
    ThrowArg(info.Env(), std::string(what) + " must hold count * size bytes (" + std::to_string(n) + " * " +
                             std::to_string(stride) + "), got " + std::to_string(have));
}

// mapUpdateBatch(fd, keys, keySize, values, valueSize, count, flags)
static Napi::Value MapUpdateBatch(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  auto keys = ArgBuffer(info, 1, "keys");
  uint32_t ks = ArgU32(info, 2, "key size");
  auto values = ArgBuffer(info, 3, "values");
  uint32_t vs = ArgU32(info, 4, "value size");
  uint32_t n = ArgU32(info, 5, "count");
  uint32_t flags = ArgU32(info, 6, "flags");
  CheckSizes(info, keys.Length(), ks, n, "keys");
  CheckSizes(info, values.Length(), vs, n, "values");
  auto *w = new UpdateWorker(info.Env(), fd, keys.Data(), ks, values.Data(), vs, n, flags);
  w->Keep(keys);
  w->Keep(values);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// mapDeleteBatch(fd, keys, keySize, count)
static Napi::Value MapDeleteBatch(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  auto keys = ArgBuffer(info, 1, "keys");
  uint32_t ks = ArgU32(info, 2, "key size");
  uint32_t n = ArgU32(info, 3, "count");
  CheckSizes(info, keys.Length(), ks, n, "keys");
  auto *w = new DeleteWorker(info.Env(), fd, keys.Data(), ks, n);
  w->Keep(keys);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// mapDump(fd, keySize, valueStride): every (key, value) pair, values of per-CPU maps for all CPUs.
static Napi::Value MapDump(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  uint32_t ks = ArgU32(info, 1, "key size");
  uint32_t vs = ArgU32(info, 2, "value stride");
  auto *w = new DumpWorker(info.Env(), fd, ks, vs);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

void InitBatch(Napi::Env env, Napi::Object exports) {
  exports.Set("mapUpdateBatch", Napi::Function::New(env, MapUpdateBatch));
  exports.Set("mapDeleteBatch", Napi::Function::New(env, MapDeleteBatch));
  exports.Set("mapDump", Napi::Function::New(env, MapDump));
}

}  // namespace pal
