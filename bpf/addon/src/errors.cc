// Owns errno -> stable code mapping and the libbpf log capture used in error details.
#include "errors.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

namespace pal {

const char *CodeForErrno(int err) {
  switch (err) {
    case E2BIG:
    case ENOSPC:
      return "ERR_BPF_MAP_FULL";
    case ENOENT:
      return "ERR_BPF_NOT_FOUND";
    case EPERM:
    case EACCES:
      return "ERR_BPF_PERMISSION";
    case EEXIST:
      return "ERR_BPF_EXISTS";
    case EINVAL:
      return "ERR_BPF_INVALID";
    case ENODEV:
    case ENXIO:
      return "ERR_BPF_NO_DEVICE";
    case EOPNOTSUPP:
    case 524:  // ENOTSUPP, kernel-internal
      return "ERR_BPF_NOT_SUPPORTED";
    case EBUSY:
      return "ERR_BPF_BUSY";
    case ENOMEM:
      return "ERR_BPF_NO_MEMORY";
    case EBADF:
      return "ERR_BPF_BAD_FD";
    default:
      return "ERR_BPF_SYSCALL";
  }
}

Napi::Error MakeError(Napi::Env env, const std::string &operation, int err,
                      const std::string &detail) {
  if (err < 0) err = -err;
  std::string msg = operation + " failed: " + strerror(err) + " (errno " + std::to_string(err) + ")";
  if (!detail.empty()) msg += "\n" + detail;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, CodeForErrno(err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("operation", Napi::String::New(env, operation));
  return e;
}

void Throw(Napi::Env env, const std::string &operation, int err, const std::string &detail) {
  throw MakeError(env, operation, err, detail);
}

void ThrowArg(Napi::Env env, const std::string &what) {
  Napi::TypeError e = Napi::TypeError::New(env, what);
  e.Set("code", Napi::String::New(env, "ERR_BPF_ARGUMENT"));
  throw e;
}

static thread_local std::string g_log;

static int LogToBuffer(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[2048];
  int n = vsnprintf(buf, sizeof(buf), fmt, args);
  // Keep the tail: the verifier's conclusion is at the end.
  g_log.append(buf, n > 0 ? std::min<size_t>(n, sizeof(buf) - 1) : 0);
  if (g_log.size() > 16384) g_log.erase(0, g_log.size() - 16384);
  return 0;
}

std::string TakeLibbpfLog() {
  std::string out;
  out.swap(g_log);
  return out;
}

void InstallLibbpfLogger() { libbpf_set_print(LogToBuffer); }

}  // namespace pal
