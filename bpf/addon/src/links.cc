// Owns attaching programs to interfaces: tcx links (kernel 6.6+, raw BPF_LINK_CREATE because
// libbpf 1.1 predates them) and legacy tc (clsact qdisc + direct-action filter).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "args.h"
#include "exports.h"

namespace pal {

// Not in Debian 12's uapi headers (linux 6.1): enum bpf_attach_type values from linux 6.6.
constexpr uint32_t kTcxIngress = 46;
constexpr uint32_t kTcxEgress = 47;

// The prefix of union bpf_attr used by BPF_LINK_CREATE; the rest (tcx relative_fd,
// expected_revision) stays zero.
struct LinkCreateAttr {
  uint32_t prog_fd;
  uint32_t target_ifindex;
  uint32_t attach_type;
  uint32_t flags;
  uint8_t rest[64];
};

int TcxLinkCreate(int prog_fd, uint32_t ifindex, bool ingress) {
  LinkCreateAttr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_fd = prog_fd;
  attr.target_ifindex = ifindex;
  attr.attach_type = ingress ? kTcxIngress : kTcxEgress;
  long fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
  return fd < 0 ? -errno : (int)fd;
}

// linkCreateTcx(progFd, ifindex, ingress) -> link fd
static Napi::Value LinkCreateTcx(const Napi::CallbackInfo &info) {
  int prog_fd = ArgFd(info, 0, "program fd");
  uint32_t ifindex = ArgU32(info, 1, "ifindex");
  bool ingress = ArgBool(info, 2, "ingress");
  int fd = TcxLinkCreate(prog_fd, ifindex, ingress);
  if (fd < 0) Throw(info.Env(), "tcx attach to ifindex " + std::to_string(ifindex), -fd);
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value LinkDetach(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "link fd");
  if (bpf_link_detach(fd)) Throw(info.Env(), "link detach", errno);
  return info.Env().Undefined();
}

// linkUpdate(linkFd, progFd): swaps the program of a link atomically (no unfiltered gap).
static Napi::Value LinkUpdate(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "link fd");
  int prog_fd = ArgFd(info, 1, "program fd");
  if (bpf_link_update(fd, prog_fd, nullptr)) Throw(info.Env(), "link update", errno);
  return info.Env().Undefined();
}

// linkInfo(fd) -> { id, type, progId, ifindex, attachType } (ifindex/attachType for tcx links)
static Napi::Value LinkInfo(const Napi::CallbackInfo &info) {
  int fd = ArgFd(info, 0, "link fd");
  uint8_t buf[sizeof(struct bpf_link_info) + 64];
  memset(buf, 0, sizeof(buf));
  uint32_t len = sizeof(buf);
  if (bpf_obj_get_info_by_fd(fd, buf, &len)) Throw(info.Env(), "link info", errno);
  auto *li = reinterpret_cast<struct bpf_link_info *>(buf);
  uint32_t tail[2];
  memcpy(tail, buf + 16, sizeof(tail));  // union start: tcx { ifindex, attach_type }
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("id", (double)li->id);
  o.Set("type", (double)li->type);
  o.Set("progId", (double)li->prog_id);
  o.Set("ifindex", (double)tail[0]);
  o.Set("attachType", (double)tail[1]);
  return o;
}

// tcxQuery(ifindex, ingress) -> ids of the programs attached with tcx, in order.
static Napi::Value TcxQuery(const Napi::CallbackInfo &info) {
  uint32_t ifindex = ArgU32(info, 0, "ifindex");
  bool ingress = ArgBool(info, 1, "ingress");
  uint32_t ids[64];
  uint32_t count = 64, attach_flags = 0;
  int r = bpf_prog_query((int)ifindex, (enum bpf_attach_type)(ingress ? kTcxIngress : kTcxEgress), 0,
                         &attach_flags, ids, &count);
  if (r) Throw(info.Env(), "tcx query on ifindex " + std::to_string(ifindex), errno);
  Napi::Array out = Napi::Array::New(info.Env(), count);
  for (uint32_t i = 0; i < count; i++) out.Set(i, (double)ids[i]);
  return out;
}

static bpf_tc_hook Hook(uint32_t ifindex, bool ingress) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex,
              .attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  return hook;
}

// tcAttach(ifindex, ingress, progFd, handle, priority) -> { handle, priority }
static Napi::Value TcAttach(const Napi::CallbackInfo &info) {
  uint32_t ifindex = ArgU32(info, 0, "ifindex");
  bool ingress = ArgBool(info, 1, "ingress");
  int prog_fd = ArgFd(info, 2, "program fd");
  uint32_t handle = ArgU32(info, 3, "handle");
  uint32_t priority = ArgU32(info, 4, "priority");
  bpf_tc_hook hook = Hook(ifindex, ingress);
  int r = bpf_tc_hook_create(&hook);
  if (r && r != -EEXIST) Throw(info.Env(), "create clsact on ifindex " + std::to_string(ifindex), -r);
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE, .handle = handle,
              .priority = priority);
  r = bpf_tc_attach(&hook, &opts);
  if (r) Throw(info.Env(), "tc attach to ifindex " + std::to_string(ifindex), -r);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("handle", (double)opts.handle);
  o.Set("priority", (double)opts.priority);
  return o;
}

// tcDetach(ifindex, ingress, handle, priority): false when no such filter.
static Napi::Value TcDetach(const Napi::CallbackInfo &info) {
  uint32_t ifindex = ArgU32(info, 0, "ifindex");
  bool ingress = ArgBool(info, 1, "ingress");
  bpf_tc_hook hook = Hook(ifindex, ingress);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = ArgU32(info, 2, "handle"), .priority = ArgU32(info, 3, "priority"));
  int r = bpf_tc_detach(&hook, &opts);
  if (r == -ENOENT || r == -ENODEV || r == -EINVAL) return Napi::Boolean::New(info.Env(), false);
  if (r) Throw(info.Env(), "tc detach from ifindex " + std::to_string(ifindex), -r);
  return Napi::Boolean::New(info.Env(), true);
}

// tcQuery(ifindex, ingress, handle, priority) -> attached program id, 0 when none.
static Napi::Value TcQuery(const Napi::CallbackInfo &info) {
  uint32_t ifindex = ArgU32(info, 0, "ifindex");
  bool ingress = ArgBool(info, 1, "ingress");
  bpf_tc_hook hook = Hook(ifindex, ingress);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = ArgU32(info, 2, "handle"), .priority = ArgU32(info, 3, "priority"));
  int r = bpf_tc_query(&hook, &opts);
  if (r == -ENOENT || r == -ENODEV || r == -EINVAL) return Napi::Number::New(info.Env(), 0);
  if (r) Throw(info.Env(), "tc query on ifindex " + std::to_string(ifindex), -r);
  return Napi::Number::New(info.Env(), opts.prog_id);
}

void InitLinks(Napi::Env env, Napi::Object exports) {
  exports.Set("linkCreateTcx", Napi::Function::New(env, LinkCreateTcx));
  exports.Set("linkDetach", Napi::Function::New(env, LinkDetach));
  exports.Set("linkUpdate", Napi::Function::New(env, LinkUpdate));
  exports.Set("linkInfo", Napi::Function::New(env, LinkInfo));
  exports.Set("tcxQuery", Napi::Function::New(env, TcxQuery));
  exports.Set("tcAttach", Napi::Function::New(env, TcAttach));
  exports.Set("tcDetach", Napi::Function::New(env, TcDetach));
  exports.Set("tcQuery", Napi::Function::New(env, TcQuery));
}

}  // namespace pal
