// Owns the list of binding modules; each adds its flat functions to the exports object.
#pragma once
#include <napi.h>

namespace pal {
void InitObject(Napi::Env env, Napi::Object exports);
void InitMaps(Napi::Env env, Napi::Object exports);
void InitBatch(Napi::Env env, Napi::Object exports);
void InitProg(Napi::Env env, Napi::Object exports);
void InitLinks(Napi::Env env, Napi::Object exports);
void InitRingbuf(Napi::Env env, Napi::Object exports);
void InitProbes(Napi::Env env, Napi::Object exports);
}  // namespace pal
