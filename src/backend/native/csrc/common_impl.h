// Helpers shared by every kernel of one instruction-set build: the vector type of the
// build (GCC/Clang vector extensions, VBYTES wide), loads and stores, bf16/f16 rounding
// and aligned allocation. Included inside the per-ISA namespace by the isa_*.cc files.

constexpr int VW = VBYTES / 4;  // floats per vector
typedef float vf __attribute__((vector_size(VBYTES), may_alias));
typedef float vfu __attribute__((vector_size(VBYTES), may_alias, aligned(4)));
typedef int32_t vi __attribute__((vector_size(VBYTES), may_alias));

static inline vf vzero() { return vf{} ; }
// One broadcast (the ISA's set1 where the build has one; `vf{} + x` would add, and lose -0).
static inline vf vset1(float x) {
#ifdef VSET1
  return (vf)VSET1(x);
#else
  vf v;
  for (int i = 0; i < VW; i++) v[i] = x;
  return v;
#endif
}
static inline vf vload(const float* p) { return *(const vfu*)p; }
static inline vf vload_aligned(const float* p) { return *(const vf*)p; }
static inline void vstore(float* p, vf v) { *(vfu*)p = v; }
// a*b+c; the build contracts it to one fused multiply-add where the ISA has one.
static inline vf vfma(vf a, vf b, vf c) { return a * b + c; }

static inline uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static inline float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
/** f32 -> bf16, round to nearest even; NaN stays NaN. */
static inline uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}
static inline float bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

static inline void* aligned_alloc_bytes(size_t n) {
  void* p = nullptr;
  if (posix_memalign(&p, 64, n ? (n + 63) / 64 * 64 : 64) != 0) return nullptr;
  return p;
}
static inline void aligned_free_bytes(void* p) { free(p); }
