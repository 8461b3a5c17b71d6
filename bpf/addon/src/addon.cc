// Entry point of the palisade_bpf addon: thin flat functions over libbpf (see exports.h).
#include "errors.h"
#include "exports.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pal::InstallLibbpfLogger();
  pal::InitObject(env, exports);
  pal::InitMaps(env, exports);
  pal::InitBatch(env, exports);
  pal::InitProg(env, exports);
  pal::InitLinks(env, exports);
  pal::InitRingbuf(env, exports);
  pal::InitProbes(env, exports);
  return exports;
}

NODE_API_MODULE(palisade_bpf, Init)
