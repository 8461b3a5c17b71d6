// Owns the mapping from errno to the binding's stable error codes, and how errors reach JS.
#pragma once
#include <napi.h>

#include <string>

namespace pal {

// Stable code for an errno value (ERR_BPF_MAP_FULL, ERR_BPF_NOT_FOUND, ...).
const char *CodeForErrno(int err);

// A JS Error with .code, .errno and .operation; message names the operation and the errno text.
Napi::Error MakeError(Napi::Env env, const std::string &operation, int err,
                      const std::string &detail = "");

// Throws MakeError(...) as a C++ exception (node-addon-api turns it into a JS exception).
[[noreturn]] void Throw(Napi::Env env, const std::string &operation, int err,
                        const std::string &detail = "");

// Throws a TypeError naming the argument, the rule and what was received.
[[noreturn]] void ThrowArg(Napi::Env env, const std::string &what);

// libbpf's log lines of the current thread since the last call (verifier output on load).
std::string TakeLibbpfLog();
void InstallLibbpfLogger();

}  // namespace pal
