// Owns bpf_object handles: open (no kernel objects yet), inspect, size and pin maps, load, close.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>

#include <unordered_map>

#include "args.h"
#include "exports.h"

namespace pal {

static std::unordered_map<uint32_t, bpf_object *> g_objects;
static uint32_t g_next_object = 1;

static bpf_object *ObjectArg(const Napi::CallbackInfo &info, size_t i) {
  uint32_t h = ArgU32(info, i, "object handle");
  auto it = g_objects.find(h);
  if (it == g_objects.end()) ThrowArg(info.Env(), "object handle " + std::to_string(h) + " is not open");
  return it->second;
}

static Napi::Value ObjectOpen(const Napi::CallbackInfo &info) {
  std::string path = ArgString(info, 0, "path");
  TakeLibbpfLog();
  bpf_object *obj = bpf_object__open_file(path.c_str(), nullptr);
  int err = libbpf_get_error(obj);
  if (err) Throw(info.Env(), "open BPF object " + path, err, TakeLibbpfLog());
  uint32_t h = g_next_object++;
  g_objects[h] = obj;
  return Napi::Number::New(info.Env(), h);
}

static Napi::Value ObjectClose(const Napi::CallbackInfo &info) {
  uint32_t h = ArgU32(info, 0, "object handle");
  auto it = g_objects.find(h);
  if (it != g_objects.end()) {
    bpf_object__close(it->second);
    g_objects.erase(it);
  }
  return info.Env().Undefined();
}

static Napi::Value ObjectMaps(const Napi::CallbackInfo &info) {
  bpf_object *obj = ObjectArg(info, 0);
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("name", bpf_map__name(map));
    m.Set("type", (double)bpf_map__type(map));
    m.Set("keySize", (double)bpf_map__key_size(map));
    m.Set("valueSize", (double)bpf_map__value_size(map));
    m.Set("maxEntries", (double)bpf_map__max_entries(map));
    m.Set("flags", (double)bpf_map__map_flags(map));
    out.Set(i++, m);
  }
  return out;
}

static Napi::Value ObjectPrograms(const Napi::CallbackInfo &info) {
  bpf_object *obj = ObjectArg(info, 0);
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", bpf_program__name(prog));
    p.Set("section", bpf_program__section_name(prog));
    p.Set("type", (double)bpf_program__type(prog));
    out.Set(i++, p);
  }
  return out;
}

static bpf_map *MapByName(const Napi::CallbackInfo &info, bpf_object *obj, size_t i) {
  std::string name = ArgString(info, i, "map name");
  bpf_map *map = bpf_object__find_map_by_name(obj, name.c_str());
  if (!map) Throw(info.Env(), "find map " + name, ENOENT);
  return map;
}

static Napi::Value ObjectSetMaxEntries(const Napi::CallbackInfo &info) {
  bpf_map *map = MapByName(info, ObjectArg(info, 0), 1);
  uint32_t n = ArgU32(info, 2, "maxEntries");
  int err = bpf_map__set_max_entries(map, n);
  if (err) Throw(info.Env(), std::string("set max_entries of ") + bpf_map__name(map), err);
  return info.Env().Undefined();
}

static Napi::Value ObjectSetPinPath(const Napi::CallbackInfo &info) {
  bpf_map *map = MapByName(info, ObjectArg(info, 0), 1);
  std::string path = ArgString(info, 2, "pin path");
  int err = bpf_map__set_pin_path(map, path.c_str());
  if (err) Throw(info.Env(), std::string("set pin path of ") + bpf_map__name(map), err);
  return info.Env().Undefined();
}

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, bpf_object *obj)
      : Napi::AsyncWorker(env), obj_(obj), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    TakeLibbpfLog();
    err_ = bpf_object__load(obj_);
    if (err_) log_ = TakeLibbpfLog();
  }
  void OnOK() override {
    if (err_) {
      std::string op = std::string("load BPF object ") + bpf_object__name(obj_);
      deferred_.Reject(MakeError(Env(), op, err_, log_).Value());
    } else {
      deferred_.Resolve(Env().Undefined());
    }
  }

 private:
  bpf_object *obj_;
  Napi::Promise::Deferred deferred_;
  int err_ = 0;
  std::string log_;
};

static Napi::Value ObjectLoad(const Napi::CallbackInfo &info) {
  auto *w = new LoadWorker(info.Env(), ObjectArg(info, 0));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

static Napi::Value ObjectMapFd(const Napi::CallbackInfo &info) {
  bpf_map *map = MapByName(info, ObjectArg(info, 0), 1);
  int fd = bpf_map__fd(map);
  if (fd < 0) Throw(info.Env(), std::string("map fd of ") + bpf_map__name(map), fd);
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value ObjectProgFd(const Napi::CallbackInfo &info) {
  bpf_object *obj = ObjectArg(info, 0);
  std::string name = ArgString(info, 1, "program name");
  bpf_program *prog = bpf_object__find_program_by_name(obj, name.c_str());
  if (!prog) Throw(info.Env(), "find program " + name, ENOENT);
  int fd = bpf_program__fd(prog);
  if (fd < 0) Throw(info.Env(), "program fd of " + name, fd);
  return Napi::Number::New(info.Env(), fd);
}

void InitObject(Napi::Env env, Napi::Object exports) {
  exports.Set("objectOpen", Napi::Function::New(env, ObjectOpen));
  exports.Set("objectClose", Napi::Function::New(env, ObjectClose));
  exports.Set("objectMaps", Napi::Function::New(env, ObjectMaps));
  exports.Set("objectPrograms", Napi::Function::New(env, ObjectPrograms));
  exports.Set("objectSetMaxEntries", Napi::Function::New(env, ObjectSetMaxEntries));
  exports.Set("objectSetPinPath", Napi::Function::New(env, ObjectSetPinPath));
  exports.Set("objectLoad", Napi::Function::New(env, ObjectLoad));
  exports.Set("objectMapFd", Napi::Function::New(env, ObjectMapFd));
  exports.Set("objectProgFd", Napi::Function::New(env, ObjectProgFd));
}

}  // namespace pal
