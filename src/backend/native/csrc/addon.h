// Argument access shared by the addon's entry points (addon.cc, bindings.cc).
#pragma once
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace anvil {

struct Ops;
extern const Ops* ops;  // the kernel table in use

/** The arguments of one JavaScript call; accessors throw std::runtime_error on bad input. */
struct Call {
  static constexpr size_t kMaxArgs = 24;
  napi_env env;
  size_t argc;
  napi_value argv[kMaxArgs];
  void* data = nullptr;
  Call(napi_env e, napi_callback_info info);
  /** Data of a typed array or ArrayBuffer argument holding at least need_bytes. */
  void* ptr(size_t i, size_t need_bytes);
  float* f32(size_t i, int64_t n) { return (float*)ptr(i, 4 * (size_t)n); }
  int32_t* i32(size_t i, int64_t n) { return (int32_t*)ptr(i, 4 * (size_t)n); }
  uint16_t* u16(size_t i, int64_t n) { return (uint16_t*)ptr(i, 2 * (size_t)n); }
  double num(size_t i);
  int64_t size(size_t i);
  napi_value undefined();
  napi_value number(double v);
};

typedef napi_value (*Entry)(Call&);
napi_value trampoline(napi_env env, napi_callback_info info);

inline void export_fn(napi_env env, napi_value exports, const char* name, Entry fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, trampoline, (void*)fn, &f);
  napi_set_named_property(env, exports, name, f);
}

}  // namespace anvil
