// CUDA C source, compiled at run time by NVRTC (see KernelCompiler). Edit the text here.
extension KernelSources {
    /// Device helpers shared by every module: 16-bit float conversions by PTX, cp.async, ldmatrix, block reductions, GELU.
    static let commonSource = #"""
// Common device helpers. No CUDA headers: 16-bit floats are stored as unsigned short bits and
// converted with PTX cvt instructions; integer types are spelled out.
typedef unsigned short h16;      // IEEE binary16 bits
typedef unsigned short bf16;     // bfloat16 bits
typedef signed char i8;
typedef unsigned char u8;
typedef unsigned int u32;
#define INFINITY __int_as_float(0x7f800000)

__device__ __forceinline__ float h2f(h16 h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
__device__ __forceinline__ h16 f2h(float f) { h16 h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
__device__ __forceinline__ float bf2f(bf16 h) { return __uint_as_float(((u32)h) << 16); }
__device__ __forceinline__ bf16 f2bf(float f) { bf16 h; asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
/// Two floats → f16x2 (lo in bits 0–15).
__device__ __forceinline__ u32 pack_h2(float lo, float hi) { u32 r; asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo)); return r; }
/// Two floats → bf16x2 (lo in bits 0–15).
__device__ __forceinline__ u32 pack_bf2(float lo, float hi) { u32 r; asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo)); return r; }
/// Float → FP8 e4m3 byte, round to nearest even, saturating to ±448 (sm_89+).
__device__ __forceinline__ u8 f2e4m3(float f) {
    unsigned short r; asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(r) : "f"(0.0f), "f"(f)); return (u8)(r & 0xFF);
}
/// Two floats → two FP8 e4m3 bytes (lo in bits 0–7), each exactly as f2e4m3 converts it.
__device__ __forceinline__ u32 e4m3x2(float lo, float hi) {
    unsigned short r; asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(r) : "f"(hi), "f"(lo)); return (u32)r;
}
__device__ __forceinline__ u32 smem_addr(const void *p) { return (u32)__cvta_generic_to_shared(p); }

/// 16-byte global→shared copy that bypasses L1; `bytes` < 16 zero-fills the rest (0: all zeros).
__device__ __forceinline__ void cp_async16(u32 dst, const void *src, int bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(dst), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" :: "n"(N)); }

__device__ __forceinline__ void ldsm_x4(u32 addr, u32 &r0, u32 &r1, u32 &r2, u32 &r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4_t(u32 addr, u32 &r0, u32 &r1, u32 &r2, u32 &r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
/// Sum (or max of non-negative values, `isMax`) over the block; every thread gets the result.
/// `red`: 32 floats of shared memory.
__device__ __forceinline__ float block_reduce(float v, float *red, bool isMax) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = isMax ? warp_max(v) : warp_sum(v);
    __syncthreads();                 // `red` may still be read by a previous reduction
    if (lane == 0) red[warp] = v;
    __syncthreads();
    float r = lane < nw ? red[lane] : 0.0f;
    r = isMax ? warp_max(r) : warp_sum(r);
    return r;
}
/// The 8-bit GEMMs' dequantization, spelled out so that every kernel applying it (lb_gemm8's
/// epilogue, lb_gemm8_simple, lb_dequant_i32 after cuBLASLt) rounds identically whatever the
/// compiler contracts: fp32(acc)·sa rounded, then ·sb + bias as one fused multiply-add.
__device__ __forceinline__ float dequant(float acc, float sa, float sb, float bias) {
    return __fmaf_rn(__fmul_rn(acc, sa), sb, bias);
}
/// erf(z), branch-free: z·P(z²)/Q(z²) on |z| ≤ 4 (coefficients from scripts/fit-erf.py; |error|
/// ≤ 3·10⁻⁷ in f32, about erff's 2 ulp; beyond 4 the clamped z gives 1 within that). 11 FMAs and
/// an approximate reciprocal (q ∈ [1, 222], no subnormals), where erff selects between two
/// polynomials per element.
__device__ __forceinline__ float erf_rational(float z) {
    z = fminf(fmaxf(z, -4.0f), 4.0f);
    const float s = z * z;
    float p = 1.974841098e-06f, q = 3.748126983e-05f;
    p = fmaf(p, s, 2.880468383e-04f); q = fmaf(q, s, 1.216395409e-03f);
    p = fmaf(p, s, 4.003771115e-03f); q = fmaf(q, s, 1.544466894e-02f);
    p = fmaf(p, s, 5.346786603e-02f); q = fmaf(q, s, 1.164775118e-01f);
    p = fmaf(p, s, 1.962514669e-01f); q = fmaf(q, s, 5.072544813e-01f);
    p = fmaf(p, s, 1.128378987e+00f); q = fmaf(q, s, 1.0f);
    float rq; asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(rq) : "f"(q));
    return z * p * rq;
}
/// GELU (erf form): 0.5·x·(1 + erf(x/√2)).
__device__ __forceinline__ float gelu_erf(float x) {
    const float h = 0.5f * x;
    return fmaf(h, erf_rational(x * 0.70710678118654752f), h);
}
/// GELU, tanh form with the special-function unit's tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))),
/// for outputs rounded to 8 bits only. Four FP32 instructions and one MUFU where gelu_erf takes
/// ~17 and one; |gelu_tanh − gelu_erf| ≤ 4.8·10⁻⁴ + 2.5·10⁻⁴·|x| (the form's own at most
/// 4.74·10⁻⁴, at x ≈ 2.7, plus tanh.approx's 2⁻¹⁰·⁹⁹ relative error times |x|/2), far below an
/// FP8 e4m3 step (2⁻⁴ relative) or an INT8 one (absmax/127).
__device__ __forceinline__ float gelu_tanh(float x) {
    const float h = 0.5f * x, u = x * fmaf(0.0356774081f, x * x, 0.7978845608f);
    float t; asm("tanh.approx.f32 %0, %1;" : "=f"(t) : "f"(u));
    return fmaf(h, t, h);
}
"""#
}
