// CUDA C source, compiled at run time by NVRTC (see KernelCompiler). Edit the text here.
extension KernelSources {
    /// Helpers shared by the row kernels (`normSource`) and the register-resident ones (`rowsSource`).
    static let rowHelperSource = #"""
/// Whether a row of n fp16 (or 8-bit) values at p can be moved 8 at a time (16-byte fp16 / 8-byte
/// code accesses): n % 8 == 0 and p aligned to 8 elements.
__device__ __forceinline__ bool vec8(const void *p, int n, int elemBytes) {
    return n % 8 == 0 && (((unsigned long)p) & (unsigned long)(8 * elemBytes - 1)) == 0;
}
/// 8 fp16 (one 16-byte word) → floats.
__device__ __forceinline__ void unpack_h8(const uint4 u, float *o) {
    const u32 w[4] = {u.x, u.y, u.z, u.w};
    for (int j = 0; j < 4; j++) { o[2 * j] = h2f((h16)(w[j] & 0xFFFF)); o[2 * j + 1] = h2f((h16)(w[j] >> 16)); }
}
/// 8 fp16 at p (16-byte aligned) → floats.
__device__ __forceinline__ void load_h8(const h16 *p, float *o) { unpack_h8(*(const uint4 *)p, o); }
/// 8 floats → fp16 at p (16-byte aligned).
__device__ __forceinline__ void store_h8(h16 *p, const float *v) {
    uint4 u;
    u.x = pack_h2(v[0], v[1]); u.y = pack_h2(v[2], v[3]); u.z = pack_h2(v[4], v[5]); u.w = pack_h2(v[6], v[7]);
    *(uint4 *)p = u;
}

/// One quantized code of v (already divided by the scale).
template <int QMODE>
__device__ __forceinline__ u8 code_of(float v) {
    if (QMODE == 1) {
        int t = __float2int_rn(v);
        t = t > 127 ? 127 : (t < -127 ? -127 : t);
        return (u8)(i8)t;
    }
    return f2e4m3(v);
}
/// The INT8 codes of 8 values v / s, packed (v[0] in the low byte of w[0]), exactly as
/// code_of<1>(__fdiv_rn(v[j], s)) gives them, for s > 0 and inv = __frcp_rn(s). t = v·inv is within
/// 1.5·2⁻²³·|v/s| of the quotient and the rounded quotient within half that: below 3·10⁻⁵ where
/// |v/s| ≤ 128 (beyond, both clamp to ±127). So t rounds to the same integer unless it lies within
/// 10⁻⁴ of a half-way point; only then (about 2 in 10⁴ values) are the 8 divided exactly. So are
/// they when s is so small (< 2⁻¹²⁶) that its reciprocal overflows.
__device__ __forceinline__ void i8_codes8(const float *v, float s, float inv, u32 (&w)[2]) {
    float r[8];
    bool nearHalf = isinf(inv);
#pragma unroll
    for (int j = 0; j < 8; j++) {
        const float t = v[j] * inv;
        r[j] = rintf(t);
        nearHalf |= fabsf(fabsf(t - r[j]) - 0.5f) < 1e-4f;
    }
    if (nearHalf) {
#pragma unroll
        for (int j = 0; j < 8; j++) r[j] = rintf(__fdiv_rn(v[j], s));
    }
    w[0] = w[1] = 0;
#pragma unroll
    for (int j = 0; j < 8; j++) w[j / 4] |= ((u32)code_of<1>(r[j])) << (8 * (j % 4));   // r[j] is whole (or NaN: 0)
}
"""#

    /// Row kernels: layernorm (+ residual, + embeddings), bias + GELU, token-wise INT8/FP8 quantization, elementwise add.
    /// (The kernels for any row length; `rowsSource` has the faster ones for the common lengths.)
    static let normSource = rowHelperSource + #"""
// Row kernels: layernorm (optionally after a residual add or an embedding lookup), bias + GELU,
// each optionally followed by token-wise activation quantization, and an elementwise add.
// One block per row (token); the row is staged in dynamic shared memory as floats (n·4 bytes).
// These take any n and alignment; for the common n with aligned rows CUDAKernels launches the
// register-resident kernels of rowsSource instead, which compute the same values.
//
// Quantization (QMODE): 0 none; 1 INT8 symmetric, scale s = absmax/127, q = rn(v / s)
// clamped to ±127 (the CPU's formula); 2 FP8 e4m3, s = absmax/448, q = e4m3(v / s). An all-zero row
// gets scale 0 and q = 0. Rows are quantized from the float values (before the fp16 rounding
// of the optional y output).

/// Quantizes buf[0..<n] (absmax over the row) into q (i8 or e4m3 bytes) and writes the scale.
template <int QMODE>
__device__ void quantize_row(const float *buf, int n, u8 *q, float *scale, float *red) {
    float amax = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) amax = fmaxf(amax, fabsf(buf[i]));
    amax = block_reduce(amax, red, true);
    const float qmax = QMODE == 1 ? 127.0f : 448.0f;
    // The CPU quantizer's arithmetic exactly (lb_quant_rows_dynamic): s = absmax / qmax, then
    // x / s (IEEE division), so that equal inputs give equal codes on both.
    const float s = amax / qmax;
    if (threadIdx.x == 0) *scale = s;
    if (vec8(q, n, 1)) {
        for (int c = threadIdx.x; c < n / 8; c += blockDim.x) {
            u32 w[2] = {0, 0};
            for (int j = 0; j < 8; j++) {
                const float v = s > 0.0f ? __fdiv_rn(buf[8 * c + j], s) : 0.0f;
                w[j / 4] |= ((u32)code_of<QMODE>(v)) << (8 * (j % 4));
            }
            uint2 o;
            o.x = w[0]; o.y = w[1];
            *(uint2 *)(q + 8 * c) = o;
        }
        return;
    }
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = s > 0.0f ? __fdiv_rn(buf[i], s) : 0.0f;
        q[i] = code_of<QMODE>(v);
    }
}

/// Normalizes buf (sum = Σ buf over the row, already reduced) with gamma/beta, writes y (fp16,
/// optional) and the quantized row.
template <int QMODE>
__device__ void layernorm_finish(float *buf, int n, float sum, const h16 *gamma, const h16 *beta, float eps,
                                 h16 *y, u8 *q, float *scale, float *red) {
    const float mean = sum / (float)n;
    float sq = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) { float d = buf[i] - mean; sq += d * d; }
    sq = block_reduce(sq, red, false);
    const float rstd = rsqrtf(sq / (float)n + eps);
    if (vec8(gamma, n, 2) && vec8(beta, n, 2) && (!y || vec8(y, n, 2))) {
        for (int c = threadIdx.x; c < n / 8; c += blockDim.x) {
            float g[8], b[8], o[8];
            load_h8(gamma + 8 * c, g);
            load_h8(beta + 8 * c, b);
            for (int j = 0; j < 8; j++) { o[j] = (buf[8 * c + j] - mean) * rstd * g[j] + b[j]; buf[8 * c + j] = o[j]; }
            if (y) store_h8(y + 8 * c, o);
        }
    } else {
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float o = (buf[i] - mean) * rstd * h2f(gamma[i]) + h2f(beta[i]);
            buf[i] = o;
            if (y) y[i] = f2h(o);
        }
    }
    if (QMODE != 0) { __syncthreads(); quantize_row<QMODE>(buf, n, q, scale, red); }
}

/// y = LN(x + r)·γ + β per row; then optional quantization.
/// x, r: [rows, n] fp16 (strides ldx, ldr; r may be null); gamma, beta: [n] fp16;
/// y: [rows, n] fp16 (ldy; may be null); q: [rows, n] bytes (ldq), scale: [rows] f32.
template <int QMODE>
__device__ void layernorm_rows(const h16 *x, int ldx, const h16 *r, int ldr, const h16 *gamma, const h16 *beta,
                               float eps, int n, h16 *y, int ldy, u8 *q, int ldq, float *scale) {
    extern __shared__ float buf[];
    __shared__ float red[32];
    const long row = blockIdx.x;
    x += row * ldx;
    if (r) r += row * ldr;
    float sum = 0.0f;
    if (vec8(x, n, 2) && (!r || vec8(r, n, 2))) {
        for (int c = threadIdx.x; c < n / 8; c += blockDim.x) {
            float a[8], b[8];
            load_h8(x + 8 * c, a);
            if (r) load_h8(r + 8 * c, b);
            for (int j = 0; j < 8; j++) { const float v = a[j] + (r ? b[j] : 0.0f); buf[8 * c + j] = v; sum += v; }
        }
    } else {
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            float v = h2f(x[i]) + (r ? h2f(r[i]) : 0.0f);
            buf[i] = v; sum += v;
        }
    }
    sum = block_reduce(sum, red, false);
    layernorm_finish<QMODE>(buf, n, sum, gamma, beta, eps, y ? y + row * ldy : 0, q ? q + row * ldq : 0,
                            scale ? scale + row : 0, red);
}

#define LN_ARGS const h16 *x, int ldx, const h16 *r, int ldr, const h16 *gamma, const h16 *beta, float eps, \
                int n, h16 *y, int ldy, u8 *q, int ldq, float *scale
#define LN_PASS x, ldx, r, ldr, gamma, beta, eps, n, y, ldy, q, ldq, scale
extern "C" __global__ void lb_layernorm_f16(LN_ARGS) { layernorm_rows<0>(LN_PASS); }
extern "C" __global__ void lb_layernorm_q8(LN_ARGS) { layernorm_rows<1>(LN_PASS); }
extern "C" __global__ void lb_layernorm_fp8(LN_ARGS) { layernorm_rows<2>(LN_PASS); }

/// BERT embeddings: row t (token) = word[ids[t]] + pos[t % seq] + type[types[t]] (types may be
/// null: row 0), then layernorm and optional quantization as above.
/// ids, types: [rows] i32; word: [vocab, n], pos: [maxPos, n], type: [types, n] fp16.
template <int QMODE>
__device__ void embed_rows(const int *ids, const int *types, int seq, const h16 *word, const h16 *pos,
                           const h16 *type, const h16 *gamma, const h16 *beta, float eps, int n,
                           h16 *y, int ldy, u8 *q, int ldq, float *scale) {
    extern __shared__ float buf[];
    __shared__ float red[32];
    const long row = blockIdx.x;
    const h16 *w = word + (long)ids[row] * n;
    const h16 *p = pos + (long)(row % seq) * n;
    const h16 *tt = type + (long)(types ? types[row] : 0) * n;
    float sum = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        float v = h2f(w[i]) + h2f(p[i]) + h2f(tt[i]);
        buf[i] = v; sum += v;
    }
    sum = block_reduce(sum, red, false);
    layernorm_finish<QMODE>(buf, n, sum, gamma, beta, eps, y ? y + row * ldy : 0, q ? q + row * ldq : 0,
                            scale ? scale + row : 0, red);
}
#define EMB_ARGS const int *ids, const int *types, int seq, const h16 *word, const h16 *pos, const h16 *type, \
                 const h16 *gamma, const h16 *beta, float eps, int n, h16 *y, int ldy, u8 *q, int ldq, float *scale
#define EMB_PASS ids, types, seq, word, pos, type, gamma, beta, eps, n, y, ldy, q, ldq, scale
extern "C" __global__ void lb_embed_layernorm_f16(EMB_ARGS) { embed_rows<0>(EMB_PASS); }
extern "C" __global__ void lb_embed_layernorm_q8(EMB_ARGS) { embed_rows<1>(EMB_PASS); }

/// v = GELU(x + bias) per row (bias may be null; erf form, or gelu_tanh with TANH), y = fp16(v)
/// (optional), then quantization. x: [rows, n] fp16 (ldx); bias: [n] fp16; q: [rows, n] (ldq); scale: [rows] f32.
template <int QMODE, int TANH>
__device__ void bias_gelu_rows(const h16 *x, int ldx, const h16 *bias, int n, h16 *y, int ldy, u8 *q, int ldq,
                               float *scale) {
    extern __shared__ float buf[];
    __shared__ float red[32];
    const long row = blockIdx.x;
    x += row * ldx;
    h16 *yr = y ? y + row * ldy : 0;
    if (vec8(x, n, 2) && (!bias || vec8(bias, n, 2)) && (!yr || vec8(yr, n, 2))) {
        for (int c = threadIdx.x; c < n / 8; c += blockDim.x) {
            float v[8], b[8];
            load_h8(x + 8 * c, v);
            if (bias) load_h8(bias + 8 * c, b);
            for (int j = 0; j < 8; j++) {
                v[j] = TANH ? gelu_tanh(v[j] + (bias ? b[j] : 0.0f)) : gelu_erf(v[j] + (bias ? b[j] : 0.0f));
                if (QMODE != 0) buf[8 * c + j] = v[j];
            }
            if (yr) store_h8(yr + 8 * c, v);
        }
    } else {
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
            const float u = h2f(x[i]) + (bias ? h2f(bias[i]) : 0.0f);
            const float v = TANH ? gelu_tanh(u) : gelu_erf(u);
            if (QMODE != 0) buf[i] = v;
            if (yr) yr[i] = f2h(v);
        }
    }
    if (QMODE != 0) { __syncthreads(); quantize_row<QMODE>(buf, n, q + row * ldq, scale + row, red); }
}
#define BG_ARGS const h16 *x, int ldx, const h16 *bias, int n, h16 *y, int ldy, u8 *q, int ldq, float *scale
#define BG_PASS x, ldx, bias, n, y, ldy, q, ldq, scale
extern "C" __global__ void lb_bias_gelu_f16(BG_ARGS) { bias_gelu_rows<0, 0>(BG_PASS); }
extern "C" __global__ void lb_bias_gelu_q8(BG_ARGS) { bias_gelu_rows<1, 0>(BG_PASS); }
extern "C" __global__ void lb_bias_gelu_fp8(BG_ARGS) { bias_gelu_rows<2, 0>(BG_PASS); }
extern "C" __global__ void lb_bias_gelu_tanh_f16(BG_ARGS) { bias_gelu_rows<0, 1>(BG_PASS); }
extern "C" __global__ void lb_bias_gelu_tanh_q8(BG_ARGS) { bias_gelu_rows<1, 1>(BG_PASS); }
extern "C" __global__ void lb_bias_gelu_tanh_fp8(BG_ARGS) { bias_gelu_rows<2, 1>(BG_PASS); }

/// y = a + b, fp16, `count` elements; 8 at a time (16-byte loads) when all three are 16-byte
/// aligned, the tail one by one. Grid-stride loop.
extern "C" __global__ void lb_add_f16(const h16 *a, const h16 *b, h16 *y, long count) {
    const long tid = (long)blockIdx.x * blockDim.x + threadIdx.x, stride = (long)gridDim.x * blockDim.x;
    const bool vec = (((unsigned long)a | (unsigned long)b | (unsigned long)y) & 15) == 0;
    long done = 0;
    if (vec) {
        const long n8 = count / 8;
        for (long i = tid; i < n8; i += stride) {
            uint4 va = ((const uint4 *)a)[i], vb = ((const uint4 *)b)[i], vy;
            u32 *pa = (u32 *)&va, *pb = (u32 *)&vb, *py = (u32 *)&vy;
            for (int j = 0; j < 4; j++) {
                float a0 = h2f((h16)(pa[j] & 0xFFFF)), a1 = h2f((h16)(pa[j] >> 16));
                float b0 = h2f((h16)(pb[j] & 0xFFFF)), b1 = h2f((h16)(pb[j] >> 16));
                py[j] = pack_h2(a0 + b0, a1 + b1);
            }
            ((uint4 *)y)[i] = vy;
        }
        done = n8 * 8;
    }
    for (long i = done + tid; i < count; i += stride) y[i] = f2h(h2f(a[i]) + h2f(b[i]));
}
"""#
}
