// CUDA C source, compiled at run time by NVRTC (see KernelCompiler). Edit the text here.
extension KernelSources {
    /// The register-resident row kernels for one row geometry (`RowPlan`).
    public static func rows(_ plan: RowPlan) -> Unit {
        Unit(name: "rows-\(plan.name)", source: commonSource + rowHelperSource + rowsSource,
             options: ["-DRT=\(plan.threadsPerRow)", "-DRC=\(plan.chunks)", "-DRB=\(RowPlan.blockThreads)"])
    }

    static let rowsSource = #"""
// Register-resident row kernels: layernorm (+ residual, + embeddings), bias + GELU and token-wise
// quantization for rows of exactly RN = 8·RC·RT elements (RT, RC, RB: compile options).
//
// RT consecutive threads per row (16 or 32: lanes of one warp; 64 or 128: whole warps), RB threads
// per block, so RPB = RB / RT rows per block; grid: ceil(rows / RPB) blocks, each row once.
// Thread t (0 ≤ t < RT) of a row holds the row's chunks t, t + RT, …, t + (RC − 1)·RT of 8
// elements as floats in registers: each chunk is one 16-byte fp16 load (coalesced over the row's
// threads), the inputs are read once, nothing goes through shared memory, and row sums and maxima
// are xor shuffles (plus, for RT > 32, the row's warps' partials through shared memory: one
// barrier per reduction).
//
// Same arithmetic as the shared-memory kernels of normSource, expression for expression, so equal
// floats give equal outputs: bias + GELU and quantization (absmax is exact in any order; s =
// absmax / qmax; codes of __fdiv_rn(v, s), which i8_codes8 gives by a cheaper route) are
// bit-identical to them. Layernorm's mean and variance
// are summed in another order (per thread, then the shuffle tree), so its outputs may differ from
// theirs in the last float bit.
//
// CUDAKernels launches these only when n == RN and every row is aligned: fp16 rows 16-byte (base
// and ld % 8 == 0), code rows 8-byte (base and ldq % 8 == 0), gamma/beta/bias 16-byte. Threads of
// rows ≥ `rows` (the last block) load and store nothing but take part in shuffles and barriers.

#define RN (8 * RC * RT)
#define RPB (RB / RT)
#define RW (RT < 32 ? RT : 32)        // a row's lanes within one warp
#define RWARPS (RB / 32)

/// This thread's row (may be ≥ rows) and its index t among the row's RT threads.
struct RowSlot {
    long row;
    int t;
    bool live;
};
__device__ __forceinline__ RowSlot row_slot(int rows) {
    RowSlot s;
    s.row = (long)blockIdx.x * RPB + threadIdx.x / RT;
    s.t = threadIdx.x % RT;
    s.live = s.row < rows;
    return s;
}
/// Element offset of this thread's chunk c in its row.
__device__ __forceinline__ int chunk_at(const RowSlot &s, int c) { return 8 * (s.t + c * RT); }

/// Sum (MAX: maximum) of v over the row's RT threads; each of them gets it. red: RWARPS floats of
/// shared memory used by this reduction only (so no barrier is needed before it is written).
template <bool MAX>
__device__ __forceinline__ float row_reduce(float v, float *red) {
#pragma unroll
    for (int o = RW / 2; o > 0; o >>= 1) {
        const float u = __shfl_xor_sync(0xffffffffu, v, o);
        v = MAX ? fmaxf(v, u) : v + u;
    }
#if RT > 32
    const int first = (threadIdx.x / RT) * (RT / 32);   // the row's first warp in the block
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = red[first];
#pragma unroll
    for (int w = 1; w < RT / 32; w++) v = MAX ? fmaxf(v, red[first + w]) : v + red[first + w];
#endif
    return v;
}

/// This thread's RC chunks of the fp16 row at p as 16-byte words (all loads issued before any
/// use); zeros (+0.0 halves) when !on.
__device__ __forceinline__ void load_row(const h16 *p, const RowSlot &s, bool on, uint4 (&u)[RC]) {
#pragma unroll
    for (int c = 0; c < RC; c++) {
        u[c].x = u[c].y = u[c].z = u[c].w = 0u;
        if (on) u[c] = *(const uint4 *)(p + chunk_at(s, c));
    }
}

/// Quantizes the row held in v (this thread's chunks; amax: max |v| over them) as quantize_row
/// does — s = absmax / qmax, codes of __fdiv_rn(v, s), all 0 when s is 0 — into the row's codes
/// (q + row·ldq, 8 bytes per chunk) and scale[row].
template <int QMODE>
__device__ __forceinline__ void quantize_reg(const float (&v)[RC][8], float amax, const RowSlot &s, u8 *q, int ldq,
                                             float *scale, float *red) {
    amax = row_reduce<true>(amax, red);
    const float qmax = QMODE == 1 ? 127.0f : 448.0f;
    const float sc = amax / qmax;
    if (!s.live) return;
    if (s.t == 0) scale[s.row] = sc;
    u8 *qr = q + s.row * ldq;
    const float inv = __frcp_rn(sc);
#pragma unroll
    for (int c = 0; c < RC; c++) {
        u32 w[2] = {0, 0};
        if (sc > 0.0f) {
            if (QMODE == 1) {
                i8_codes8(v[c], sc, inv, w);
            } else {
#pragma unroll
                for (int j = 0; j < 8; j += 2)
                    w[j / 4] |= e4m3x2(__fdiv_rn(v[c][j], sc), __fdiv_rn(v[c][j + 1], sc)) << (8 * (j % 4));
            }
        }
        uint2 o;
        o.x = w[0]; o.y = w[1];
        *(uint2 *)(qr + chunk_at(s, c)) = o;
    }
}

/// Layernorm of the row held in v (this thread's chunks, n == RN) as layernorm_finish does:
/// mean = Σv / n, rstd = rsqrt(Σ(v − mean)² / n + eps), v ← (v − mean)·rstd·γ + β; then fp16 y
/// (optional) and the quantized row. red: 3·RWARPS floats of shared memory.
template <int QMODE>
__device__ __forceinline__ void layernorm_reg(float (&v)[RC][8], const RowSlot &s, int n, const h16 *gamma,
                                              const h16 *beta, float eps, h16 *y, int ldy, u8 *q, int ldq,
                                              float *scale, float *red) {
    uint4 ug[RC], ub[RC];              // γ, β loaded now, in flight during the reductions
    load_row(gamma, s, true, ug);
    load_row(beta, s, true, ub);
    float sum = 0.0f;
#pragma unroll
    for (int c = 0; c < RC; c++)
#pragma unroll
        for (int j = 0; j < 8; j++) sum += v[c][j];
    sum = row_reduce<false>(sum, red);
    const float mean = sum / (float)n;
    float sq = 0.0f;
#pragma unroll
    for (int c = 0; c < RC; c++)
#pragma unroll
        for (int j = 0; j < 8; j++) { float d = v[c][j] - mean; sq += d * d; }
    sq = row_reduce<false>(sq, red + RWARPS);
    const float rstd = rsqrtf(sq / (float)n + eps);
    h16 *yr = y && s.live ? y + s.row * ldy : 0;
    float amax = 0.0f;
#pragma unroll
    for (int c = 0; c < RC; c++) {
        float g[8], b[8];
        unpack_h8(ug[c], g);
        unpack_h8(ub[c], b);
#pragma unroll
        for (int j = 0; j < 8; j++) {
            v[c][j] = (v[c][j] - mean) * rstd * g[j] + b[j];
            amax = fmaxf(amax, fabsf(v[c][j]));
        }
        if (yr) store_h8(yr + chunk_at(s, c), v[c]);
    }
    if (QMODE != 0) quantize_reg<QMODE>(v, amax, s, q, ldq, scale, red + 2 * RWARPS);
}

/// y = LN(x + r)·γ + β per row, then optional quantization: layernorm_rows for n == RN.
/// x, r: [rows, n] fp16 (ldx, ldr; r may be null); gamma, beta: [n]; y: [rows, n] (ldy; may be
/// null); q: [rows, n] bytes (ldq), scale: [rows] f32.
template <int QMODE>
__device__ __forceinline__ void layernorm_rows_reg(const h16 *x, int ldx, const h16 *r, int ldr, const h16 *gamma,
                                                   const h16 *beta, float eps, int n, int rows, h16 *y, int ldy,
                                                   u8 *q, int ldq, float *scale) {
    __shared__ float red[3 * RWARPS];
    const RowSlot s = row_slot(rows);
    float v[RC][8];
    uint4 ux[RC], ur[RC];
    load_row(x + s.row * ldx, s, s.live, ux);
    load_row(r ? r + s.row * ldr : x, s, s.live && r, ur);
#pragma unroll
    for (int c = 0; c < RC; c++) {
        float a[8], b[8];
        unpack_h8(ux[c], a);
        unpack_h8(ur[c], b);
#pragma unroll
        for (int j = 0; j < 8; j++) v[c][j] = a[j] + (r ? b[j] : 0.0f);
    }
    layernorm_reg<QMODE>(v, s, n, gamma, beta, eps, y, ldy, q, ldq, scale, red);
}

#define RLN_ARGS const h16 *x, int ldx, const h16 *r, int ldr, const h16 *gamma, const h16 *beta, float eps, \
                 int n, int rows, h16 *y, int ldy, u8 *q, int ldq, float *scale
#define RLN_PASS x, ldx, r, ldr, gamma, beta, eps, n, rows, y, ldy, q, ldq, scale
extern "C" __global__ void __launch_bounds__(RB) lb_rows_layernorm_f16(RLN_ARGS) { layernorm_rows_reg<0>(RLN_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_layernorm_q8(RLN_ARGS) { layernorm_rows_reg<1>(RLN_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_layernorm_fp8(RLN_ARGS) { layernorm_rows_reg<2>(RLN_PASS); }

/// BERT embeddings then layernorm (embed_rows for n == RN): row t = word[ids[t]] + pos[t % seq] +
/// type[types[t]] (types may be null: row 0). ids, types: [rows] i32; tables [*, n] fp16.
template <int QMODE>
__device__ __forceinline__ void embed_rows_reg(const int *ids, const int *types, int seq, const h16 *word,
                                               const h16 *pos, const h16 *type, const h16 *gamma, const h16 *beta,
                                               float eps, int n, int rows, h16 *y, int ldy, u8 *q, int ldq,
                                               float *scale) {
    __shared__ float red[3 * RWARPS];
    const RowSlot s = row_slot(rows);
    float v[RC][8];
    uint4 uw[RC], up[RC], ut[RC];
    const long row = s.live ? s.row : 0;   // dead rows read nothing; their offsets stay in range
    load_row(word + (long)(s.live ? ids[row] : 0) * n, s, s.live, uw);
    load_row(pos + (long)(row % seq) * n, s, s.live, up);
    load_row(type + (long)(types && s.live ? types[row] : 0) * n, s, s.live, ut);
#pragma unroll
    for (int c = 0; c < RC; c++) {
        float a[8], b[8], t[8];
        unpack_h8(uw[c], a);
        unpack_h8(up[c], b);
        unpack_h8(ut[c], t);
#pragma unroll
        for (int j = 0; j < 8; j++) v[c][j] = a[j] + b[j] + t[j];
    }
    layernorm_reg<QMODE>(v, s, n, gamma, beta, eps, y, ldy, q, ldq, scale, red);
}
#define REMB_ARGS const int *ids, const int *types, int seq, const h16 *word, const h16 *pos, const h16 *type, \
                  const h16 *gamma, const h16 *beta, float eps, int n, int rows, h16 *y, int ldy, u8 *q, int ldq, \
                  float *scale
#define REMB_PASS ids, types, seq, word, pos, type, gamma, beta, eps, n, rows, y, ldy, q, ldq, scale
extern "C" __global__ void __launch_bounds__(RB) lb_rows_embed_layernorm_f16(REMB_ARGS) { embed_rows_reg<0>(REMB_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_embed_layernorm_q8(REMB_ARGS) { embed_rows_reg<1>(REMB_PASS); }

/// v = GELU(x + bias) per row (bias may be null; erf form, or gelu_tanh with TANH), y = fp16(v)
/// (optional), then quantization: bias_gelu_rows for n == RN. x: [rows, n] fp16 (ldx); bias: [n];
/// q: [rows, n] (ldq); scale: [rows].
template <int QMODE, int TANH>
__device__ __forceinline__ void bias_gelu_rows_reg(const h16 *x, int ldx, const h16 *bias, int rows, h16 *y, int ldy,
                                                   u8 *q, int ldq, float *scale) {
    __shared__ float red[RWARPS];
    const RowSlot s = row_slot(rows);
    float v[RC][8];
    uint4 ux[RC], ub[RC];
    load_row(x + s.row * ldx, s, s.live, ux);
    load_row(bias ? bias : x, s, bias != 0, ub);
    h16 *yr = y && s.live ? y + s.row * ldy : 0;
    float amax = 0.0f;
#pragma unroll
    for (int c = 0; c < RC; c++) {
        float b[8];
        unpack_h8(ux[c], v[c]);
        unpack_h8(ub[c], b);
#pragma unroll
        for (int j = 0; j < 8; j++) {
            v[c][j] = TANH ? gelu_tanh(v[c][j] + (bias ? b[j] : 0.0f)) : gelu_erf(v[c][j] + (bias ? b[j] : 0.0f));
            amax = fmaxf(amax, fabsf(v[c][j]));
        }
        if (yr) store_h8(yr + chunk_at(s, c), v[c]);
    }
    if (QMODE != 0) quantize_reg<QMODE>(v, amax, s, q, ldq, scale, red);
}
#define RBG_ARGS const h16 *x, int ldx, const h16 *bias, int n, int rows, h16 *y, int ldy, u8 *q, int ldq, float *scale
#define RBG_PASS x, ldx, bias, rows, y, ldy, q, ldq, scale
extern "C" __global__ void __launch_bounds__(RB) lb_rows_bias_gelu_f16(RBG_ARGS) { bias_gelu_rows_reg<0, 0>(RBG_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_bias_gelu_q8(RBG_ARGS) { bias_gelu_rows_reg<1, 0>(RBG_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_bias_gelu_fp8(RBG_ARGS) { bias_gelu_rows_reg<2, 0>(RBG_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_bias_gelu_tanh_f16(RBG_ARGS) { bias_gelu_rows_reg<0, 1>(RBG_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_bias_gelu_tanh_q8(RBG_ARGS) { bias_gelu_rows_reg<1, 1>(RBG_PASS); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_bias_gelu_tanh_fp8(RBG_ARGS) { bias_gelu_rows_reg<2, 1>(RBG_PASS); }

/// Token-wise quantization of an fp16 matrix (quant_rows for n == RN): x: [rows, n] (ldx) → q:
/// [rows, n] codes (ldq), scale: [rows] f32.
template <int QMODE>
__device__ __forceinline__ void quant_rows_reg(const h16 *x, int ldx, int rows, u8 *q, int ldq, float *scale) {
    __shared__ float red[RWARPS];
    const RowSlot s = row_slot(rows);
    float v[RC][8];
    uint4 ux[RC];
    load_row(x + s.row * ldx, s, s.live, ux);
    float amax = 0.0f;
#pragma unroll
    for (int c = 0; c < RC; c++) {
        unpack_h8(ux[c], v[c]);
#pragma unroll
        for (int j = 0; j < 8; j++) amax = fmaxf(amax, fabsf(v[c][j]));
    }
    quantize_reg<QMODE>(v, amax, s, q, ldq, scale, red);
}
#define RQ_ARGS const h16 *x, int ldx, int n, int rows, u8 *q, int ldq, float *scale
extern "C" __global__ void __launch_bounds__(RB) lb_rows_quant_q8(RQ_ARGS) { quant_rows_reg<1>(x, ldx, rows, q, ldq, scale); }
extern "C" __global__ void __launch_bounds__(RB) lb_rows_quant_fp8(RQ_ARGS) { quant_rows_reg<2>(x, ldx, rows, q, ldq, scale); }
"""#
}

/// Geometry of the register-resident row kernels (`KernelSources.rows`): rows of
/// n = 8·`chunks`·`threadsPerRow` fp16, `threadsPerRow` consecutive threads per row (16 or 32:
/// lanes of one warp; 64 or 128: whole warps), each holding `chunks` runs of 8 elements in
/// registers; `blockThreads` threads per block, so `rowsPerBlock` rows per block.
public struct RowPlan: Sendable, Hashable, CustomStringConvertible {
    public var threadsPerRow: Int, chunks: Int
    public var n: Int { 8 * chunks * threadsPerRow }
    public var rowsPerBlock: Int { Self.blockThreads / threadsPerRow }
    public var name: String { "t\(threadsPerRow)c\(chunks)" }
    public var description: String { "n \(n): \(threadsPerRow) threads × \(chunks) chunks of 8" }

    /// Threads per block of every plan (the kernels' `__launch_bounds__`).
    public static let blockThreads = 128

    /// One plan per BERT / MiniLM width (hidden 384, 768, 1024; intermediate 1536, 3072, 4096):
    /// 24 or 32 elements per thread, a warp or less per row up to 1024, whole warps beyond.
    public static let all: [RowPlan] = [
        RowPlan(threadsPerRow: 16, chunks: 3), RowPlan(threadsPerRow: 32, chunks: 3), RowPlan(threadsPerRow: 32, chunks: 4),
        RowPlan(threadsPerRow: 64, chunks: 3), RowPlan(threadsPerRow: 128, chunks: 3), RowPlan(threadsPerRow: 128, chunks: 4),
    ]

    /// The plan for rows of n elements, or nil (the shared-memory kernels then).
    public static func forWidth(_ n: Int) -> RowPlan? { all.first { $0.n == n } }
}
