// Owns argument checking for the flat binding functions: each getter names the argument.
#pragma once
#include <napi.h>

#include <string>

#include "errors.h"

namespace pal {

inline uint32_t ArgU32(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (i >= info.Length() || !info[i].IsNumber())
    ThrowArg(info.Env(), std::string(name) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (v < 0 || v > 4294967295.0 || v != (double)(uint32_t)v)
    ThrowArg(info.Env(), std::string(name) + " must be an integer in 0..2^32-1, got " + std::to_string(v));
  return (uint32_t)v;
}

inline int ArgFd(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (i >= info.Length() || !info[i].IsNumber())
    ThrowArg(info.Env(), std::string(name) + " must be a file descriptor number");
  return info[i].As<Napi::Number>().Int32Value();
}

inline std::string ArgString(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (i >= info.Length() || !info[i].IsString())
    ThrowArg(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

inline Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (i >= info.Length() || !info[i].IsBuffer())
    ThrowArg(info.Env(), std::string(name) + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

inline bool ArgBool(const Napi::CallbackInfo &info, size_t i, const char *name) {
  if (i >= info.Length() || !info[i].IsBoolean())
    ThrowArg(info.Env(), std::string(name) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

}  // namespace pal
