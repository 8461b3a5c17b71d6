// Owns single-element map operations, map info, and pinning / opening pinned objects by path.
#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

#include "args.h"
#include "exports.h"

namespace pal {

static Napi::Value MapInfo(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  struct bpf_map_info mi = {};
  uint32_t len = sizeof(mi);
  if (bpf_obj_get_info_by_fd(fd, &mi, &len)) Throw(info.Env(), "map info", errno);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("id", (double)mi.id);
  o.Set("type", (double)mi.type);
  o.Set("name", mi.name);
  o.Set("keySize", (double)mi.key_size);
  o.Set("valueSize", (double)mi.value_size);
  o.Set("maxEntries", (double)mi.max_entries);
  o.Set("flags", (double)mi.map_flags);
  return o;
}

static Napi::Value MapLookup(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  auto key = ArgBuffer(info, 1, "key");
  auto value = ArgBuffer(info, 2, "value");
  if (bpf_map_lookup_elem(fd, key.Data(), value.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(info.Env(), false);
    Throw(info.Env(), "map lookup", errno);
  }
  return Napi::Boolean::New(info.Env(), true);
}

static Napi::Value MapUpdate(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  auto key = ArgBuffer(info, 1, "key");
  auto value = ArgBuffer(info, 2, "value");
  uint32_t flags = ArgU32(info, 3, "flags");
  if (bpf_map_update_elem(fd, key.Data(), value.Data(), flags)) Throw(info.Env(), "map update", errno);
  return info.Env().Undefined();
}

static Napi::Value MapDelete(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  auto key = ArgBuffer(info, 1, "key");
  if (bpf_map_delete_elem(fd, key.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(info.Env(), false);
    Throw(info.Env(), "map delete", errno);
  }
  return Napi::Boolean::New(info.Env(), true);
}

// mapNextKey(fd, key | null, next): false at the end of the map.
static Napi::Value MapNextKey(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "map fd");
  const void *key = nullptr;
  if (info.Length() > 1 && info[1].IsBuffer()) key = info[1].As<Napi::Buffer<uint8_t>>().Data();
  auto next = ArgBuffer(info, 2, "next key");
  if (bpf_map_get_next_key(fd, key, next.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(info.Env(), false);
    Throw(info.Env(), "map get_next_key", errno);
  }
  return Napi::Boolean::New(info.Env(), true);
}

static Napi::Value ObjPin(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "fd");
  std::string path = ArgString(info, 1, "pin path");
  if (bpf_obj_pin(fd, path.c_str())) Throw(info.Env(), "pin " + path, errno);
  return info.Env().Undefined();
}

static Napi::Value ObjGet(const Napi::CallbackInfo &info) {
  std::string path = ArgString(info, 0, "pin path");
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) Throw(info.Env(), "open pinned " + path, errno);
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value CloseFd(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "fd");
  if (fd >= 0) close(fd);
  return info.Env().Undefined();
}

static Napi::Value MapCreate(const Napi::CallbackInfo &info) {
  uint32_t type = ArgU32(info, 0, "map type");
  uint32_t key_size = ArgU32(info, 1, "key size");
  uint32_t value_size = ArgU32(info, 2, "value size");
  uint32_t max_entries = ArgU32(info, 3, "max entries");
  uint32_t flags = ArgU32(info, 4, "map flags");
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
  int fd = bpf_map_create((enum bpf_map_type)type, nullptr, key_size, value_size, max_entries, &opts);
  if (fd < 0) Throw(info.Env(), "map create", errno);
  return Napi::Number::New(info.Env(), fd);
}

void InitMaps(Napi::Env env, Napi::Object exports) {
  exports.Set("mapInfo", Napi::Function::New(env, MapInfo));
  exports.Set("mapLookup", Napi::Function::New(env, MapLookup));
  exports.Set("mapUpdate", Napi::Function::New(env, MapUpdate));
  exports.Set("mapDelete", Napi::Function::New(env, MapDelete));
  exports.Set("mapNextKey", Napi::Function::New(env, MapNextKey));
  exports.Set("mapCreate", Napi::Function::New(env, MapCreate));
  exports.Set("objPin", Napi::Function::New(env, ObjPin));
  exports.Set("objGet", Napi::Function::New(env, ObjGet));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
}

}  // namespace pal
