// Node-API entry points of the native backend: aligned buffers handed to JavaScript as
// external ArrayBuffers (no copies), the thread count, the instruction-set choice and
// one function per kernel. Arguments are checked here (sizes against buffer lengths)
// so that a wrong call throws instead of writing outside a buffer.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>
#include <string>
#include <thread>

#include "addon.h"
#include "ops.h"
#include "pool.h"

namespace anvil {

bool cpu_has_avx512bf16 = false;
const Ops* ops = nullptr;

namespace {

std::string isa_error;     // why the forced ISA could not be used, if it could not
size_t live_bytes = 0, peak_bytes = 0, live_count = 0;

struct Buf {
  void* data;
  size_t bytes;
  bool freed;
};

bool cpu_has(const char* what) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (!strcmp(what, "avx512")) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (!strcmp(what, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!strcmp(what, "avx512bf16")) return __builtin_cpu_supports("avx512bf16");
#endif
  (void)what;
  return false;
}

// Picks the kernel table: ANVIL_NATIVE_ISA when set (failing if the processor lacks it),
// else the widest the processor supports.
void choose_isa() {
  cpu_has_avx512bf16 = cpu_has("avx512bf16");
  const char* forced = getenv("ANVIL_NATIVE_ISA");
  std::string want = forced && *forced ? forced : "auto";
  if (want == "auto") {
    if (ops_avx512() && cpu_has("avx512")) ops = ops_avx512();
    else if (ops_avx2() && cpu_has("avx2")) ops = ops_avx2();
    else ops = ops_portable();
  } else if (want == "avx512") {
    if (ops_avx512() && cpu_has("avx512")) ops = ops_avx512();
    else isa_error = "ANVIL_NATIVE_ISA=avx512 but this processor or build has no AVX-512";
  } else if (want == "avx2") {
    if (ops_avx2() && cpu_has("avx2")) ops = ops_avx2();
    else isa_error = "ANVIL_NATIVE_ISA=avx2 but this processor or build has no AVX2+FMA";
  } else if (want == "scalar") {
    ops = ops_portable();
  } else {
    isa_error = "ANVIL_NATIVE_ISA must be avx512, avx2, scalar or auto, not '" + want + "'";
  }
}

}  // namespace

// ---- argument access ----------------------------------------------------------------

Call::Call(napi_env e, napi_callback_info info) : env(e) {
  argc = kMaxArgs;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
}

void* Call::ptr(size_t i, size_t need_bytes) {
  if (i >= argc) throw std::runtime_error("missing argument " + std::to_string(i));
  bool is = false;
  void* data = nullptr;
  size_t bytes = 0;
  napi_is_typedarray(env, argv[i], &is);
  if (is) {
    napi_typedarray_type type;
    size_t length;
    napi_value ab;
    size_t offset;
    napi_get_typedarray_info(env, argv[i], &type, &length, &data, &ab, &offset);
    size_t el = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: el = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: el = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: el = 8; break;
      default: el = 1;
    }
    bytes = length * el;
  } else {
    napi_is_arraybuffer(env, argv[i], &is);
    if (!is) throw std::runtime_error("argument " + std::to_string(i) + " must be an ArrayBuffer or a typed array");
    napi_get_arraybuffer_info(env, argv[i], &data, &bytes);
  }
  if (bytes < need_bytes)
    throw std::runtime_error("argument " + std::to_string(i) + " holds " + std::to_string(bytes) +
                             " bytes, the kernel needs " + std::to_string(need_bytes));
  return data;
}

double Call::num(size_t i) {
  double v = 0;
  if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok)
    throw std::runtime_error("argument " + std::to_string(i) + " must be a number");
  return v;
}

int64_t Call::size(size_t i) {
  double v = num(i);
  if (!(v >= 0) || v != (double)(int64_t)v)
    throw std::runtime_error("argument " + std::to_string(i) + " must be a non-negative integer");
  return (int64_t)v;
}

napi_value Call::undefined() {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value Call::number(double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

napi_value trampoline(napi_env env, napi_callback_info info) {
  try {
    Call c(env, info);
    if (!ops) throw std::runtime_error(isa_error);
    return ((Entry)c.data)(c);
  } catch (const std::exception& e) {
    napi_throw_error(env, "ANVIL_NATIVE", e.what());
    return nullptr;
  }
}

// ---- buffers, threads, information -------------------------------------------------

namespace {

// Freed blocks are kept by size and handed out again, so that a training step, which frees
// and re-allocates the same sizes every time, touches no fresh pages (no page faults, no
// zeroing by the kernel); `trim()` returns the cached blocks to the system.
std::mutex cache_mu;
std::unordered_map<size_t, std::vector<void*>> cache;
size_t cached_bytes = 0;

size_t block_size(size_t bytes) { return bytes ? (bytes + 63) / 64 * 64 : 64; }

void* take_block(size_t bytes) {
  size_t sz = block_size(bytes);
  {
    std::lock_guard<std::mutex> lk(cache_mu);
    auto it = cache.find(sz);
    if (it != cache.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      cached_bytes -= sz;
      return p;
    }
  }
  void* p = nullptr;
  if (posix_memalign(&p, 64, sz) != 0) return nullptr;
  return p;
}

void give_block(void* p, size_t bytes) {
  size_t sz = block_size(bytes);
  std::lock_guard<std::mutex> lk(cache_mu);
  cache[sz].push_back(p);
  cached_bytes += sz;
}

void finalize_buf(napi_env, void*, void* hint) {
  Buf* b = (Buf*)hint;
  if (!b->freed) {
    give_block(b->data, b->bytes);
    live_bytes -= b->bytes;
    live_count--;
  }
  delete b;
}

// alloc(bytes) -> ArrayBuffer over 64-byte-aligned native memory (not cleared).
napi_value js_alloc(Call& c) {
  size_t bytes = (size_t)c.size(0);
  void* p = take_block(bytes);
  if (!p) throw std::runtime_error("out of memory allocating " + std::to_string(bytes) + " bytes");
  Buf* b = new Buf{p, bytes, false};
  napi_value ab;
  if (napi_create_external_arraybuffer(c.env, p, bytes, finalize_buf, b, &ab) != napi_ok) {
    give_block(p, bytes);
    delete b;
    throw std::runtime_error("could not create an external ArrayBuffer");
  }
  napi_wrap(c.env, ab, b, nullptr, nullptr, nullptr);
  live_bytes += bytes;
  live_count++;
  if (live_bytes > peak_bytes) peak_bytes = live_bytes;
  return ab;
}

// trim(): returns cached free blocks to the system.
napi_value js_trim(Call& c) {
  std::lock_guard<std::mutex> lk(cache_mu);
  for (auto& kv : cache)
    for (void* p : kv.second) free(p);
  cache.clear();
  cached_bytes = 0;
  return c.undefined();
}

// free(ab): releases the memory now and detaches the ArrayBuffer, so that later use of
// it sees zero bytes instead of freed memory.
napi_value js_free(Call& c) {
  void* w = nullptr;
  if (c.argc < 1 || napi_unwrap(c.env, c.argv[0], &w) != napi_ok || !w)
    throw std::runtime_error("free() takes an ArrayBuffer made by alloc()");
  Buf* b = (Buf*)w;
  if (b->freed) throw std::runtime_error("buffer freed twice");
  b->freed = true;
  give_block(b->data, b->bytes);
  live_bytes -= b->bytes;
  live_count--;
  napi_remove_wrap(c.env, c.argv[0], nullptr);
  napi_detach_arraybuffer(c.env, c.argv[0]);  // may run finalize_buf, which deletes b
  return c.undefined();
}

napi_value js_memory(Call& c) {
  napi_value o;
  napi_create_object(c.env, &o);
  napi_set_named_property(c.env, o, "liveBytes", c.number((double)live_bytes));
  napi_set_named_property(c.env, o, "peakBytes", c.number((double)peak_bytes));
  napi_set_named_property(c.env, o, "liveBuffers", c.number((double)live_count));
  napi_set_named_property(c.env, o, "cachedBytes", c.number((double)cached_bytes));
  return o;
}

napi_value js_set_threads(Call& c) {
  int64_t n = c.size(0);
  if (n < 1 || n > 1024) throw std::runtime_error("thread count must be 1..1024");
  pool_set_threads((int)n);
  return c.undefined();
}

napi_value js_threads(Call& c) { return c.number(pool_threads()); }

napi_value js_info(Call& c) {
  napi_value o, s;
  napi_create_object(c.env, &o);
  napi_create_string_utf8(c.env, ops->isa, NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(c.env, o, "isa", s);
  napi_value t;
  napi_get_boolean(c.env, cpu_has_avx512bf16 && !strcmp(ops->isa, "avx512"), &t);
  napi_set_named_property(c.env, o, "bf16Dot", t);
  napi_set_named_property(c.env, o, "threads", c.number(pool_threads()));
  napi_set_named_property(c.env, o, "hardwareThreads", c.number(std::thread::hardware_concurrency()));
  return o;
}

// matmul(a, b, c, batch, M, N, K, strideA, strideB, strideC, flags)
// flags: 1 transA, 2 transB, 4 accumulate, 8 bf16 products, 16 A is bf16, 32 B is bf16.
napi_value js_matmul(Call& c) {
  GemmArgs g{};
  g.batch = c.size(3);
  g.M = c.size(4);
  g.N = c.size(5);
  g.K = c.size(6);
  g.strideA = c.size(7);
  g.strideB = c.size(8);
  g.strideC = c.size(9);
  int64_t flags = c.size(10);
  g.transA = flags & 1;
  g.transB = flags & 2;
  g.accumulate = flags & 4;
  g.bf16 = flags & 8;
  g.aBf16 = flags & 16;
  g.bBf16 = flags & 32;
  if (g.batch > 1 && g.strideC != 0 && g.strideC < g.M * g.N)
    throw std::runtime_error("matmul: strideC makes outputs overlap");
  size_t ea = g.aBf16 ? 2 : 4, eb = g.bBf16 ? 2 : 4;
  int64_t lastA = g.batch ? g.strideA * (g.batch - 1) + g.M * g.K : 0;
  int64_t lastB = g.batch ? g.strideB * (g.batch - 1) + g.K * g.N : 0;
  g.a = c.ptr(0, ea * lastA);
  g.b = c.ptr(1, eb * lastB);
  g.c = c.f32(2, g.batch ? g.strideC * (g.batch - 1) + g.M * g.N : 0);
  if (!g.batch || !g.M || !g.N) return c.undefined();
  if (g.strideC == 0 && g.batch > 1) {
    // One C shared by the batch (a weight gradient): the items run in order, each on all threads.
    GemmArgs one = g;
    one.batch = 1;
    for (int64_t b = 0; b < g.batch; b++) {
      one.a = (const char*)g.a + ea * g.strideA * b;
      one.b = (const char*)g.b + eb * g.strideB * b;
      ops->gemm(one);
    }
  } else {
    ops->gemm(g);
  }
  return c.undefined();
}

}  // namespace

void register_kernels(napi_env env, napi_value exports);

napi_value init(napi_env env, napi_value exports) {
  choose_isa();
  const char* t = getenv("ANVIL_THREADS");
  int n = t && atoi(t) > 0 ? atoi(t) : (int)std::thread::hardware_concurrency();
  pool_set_threads(n > 0 ? n : 1);
  napi_value s;
  napi_create_string_utf8(env, isa_error.c_str(), NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, exports, "loadError", s);
  export_fn(env, exports, "alloc", js_alloc);
  export_fn(env, exports, "free", js_free);
  export_fn(env, exports, "memory", js_memory);
  export_fn(env, exports, "trim", js_trim);
  export_fn(env, exports, "setThreads", js_set_threads);
  export_fn(env, exports, "threads", js_threads);
  export_fn(env, exports, "info", js_info);
  export_fn(env, exports, "matmul", js_matmul);
  register_kernels(env, exports);
  return exports;
}

}  // namespace anvil

NAPI_MODULE(NODE_GYP_MODULE_NAME, anvil::init)
