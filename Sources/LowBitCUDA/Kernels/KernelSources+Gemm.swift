// CUDA C source, compiled at run time by NVRTC (see KernelCompiler). Edit the text here.
extension KernelSources {
    /// 8-bit tensor-core GEMM (INT8, FP8 e4m3, W4A8) with the dequantization epilogue fused.
    static let gemmSource = #"""
// 8-bit GEMM on tensor cores (mma.sync m16n8k32), dequantization fused into the epilogue:
//
//   C[m, n] = fp16( acc[m, n] · sa[m] · sb[n] + bias[n] ),  acc[m, n] = Σ_k A[m, k] · B[n, k]
//
// A: [M, K] (tokens × in, row stride lda bytes), B: [N, K] (out × in, ldb bytes), both
// K-contiguous ("TN"); sa: [M] f32 per-token scales, sb: [N] f32 per-channel scales; bias: [N]
// fp16 or null; C: [M, N] fp16 (ldc elements). act = 1 applies GELU(erf) after the bias.
// Element types: INT8 (s32 accumulators, exact) or, with AB_FP8, FP8 e4m3 (f32 accumulators).
// With W4, B holds packed INT4 codes in LowBit's `PackedInt4` layout ([N, K/2] bytes, column
// 2j in the low nibble of byte j, nibble = code + 8), expanded to INT8 on the way to shared
// memory; A stays INT8.
//
// Tiling (set by the host with -D): block tile BM × BN, K step BK (64 or 128 bytes), WM × WN
// warps each owning a (BM/WM) × (BN/WN) tile, STAGES-deep cp.async pipeline. Shared tiles are
// rows of BK bytes (CPR chunks of 16 B); chunk c of row r is stored at c ^ ((r >> 1) & 3) (BK 64)
// or c ^ (r & 7) (BK 128), so the 8 rows an ldmatrix phase reads hit 8 different 16-byte bank
// groups. Fragments of the next k32 step are loaded before the MMAs of the current one, and the
// MMAs are not `volatile` (unless MMA_ORDERED), so the compiler may interleave them with the
// shared-memory loads; which is faster depends on the tile (the bench measures both).
// L2 → SM traffic per output is (1/BM + 1/BN)·K bytes: large tiles matter on H100, where int8
// tensor cores outrun L2 bandwidth for 128 × 128 tiles.
// Requirements (checked by the host): K % 16 == 0 (W4: K % 32), lda, ldb % 16 == 0 (W4: ldb % 8),
// A, B 16-byte aligned. M and N are arbitrary (out-of-range rows are zero-filled and not stored).
#ifndef BM
#define BM 128
#endif
#ifndef BN
#define BN 128
#endif
#ifndef WM
#define WM 2
#endif
#ifndef WN
#define WN 4
#endif
#ifndef STAGES
#define STAGES 4
#endif
#ifndef BK
#define BK 64
#endif
#ifndef MINB
#define MINB 1               // blocks per SM the register allocation must allow
#endif
#define CPR (BK / 16)            // 16-byte chunks per tile row
#define KSTEPS (BK / 32)         // mma k32 steps per tile
#define NT (WM * WN * 32)
#define WTM (BM / WM)
#define WTN (BN / WN)
#define MF (WTM / 16)
#define NF (WTN / 8)
#define TILE_A (BM * BK)
#define TILE_B (BN * BK)

#if defined(AB_F16)
// FP16 operands: m16n8k16 has the same byte layout of fragments as m16n8k32 with 8-bit
// elements (a k16 step of halves is 32 bytes), so the tiles, swizzle and ldmatrix code are
// shared; K, lda and ldb are passed in bytes.
typedef float acc_t;
#define MMA_ASM "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
#define ACC_C "+f"
#elif defined(AB_FP8)
typedef float acc_t;
#define MMA_ASM "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
#define ACC_C "+f"
#else
typedef int acc_t;
#define MMA_ASM "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
#define ACC_C "+r"
#endif

__device__ __forceinline__ int swz(int r, int c) {
#if CPR == 4
    return r * BK + ((c ^ ((r >> 1) & 3)) << 4);
#else
    return r * BK + ((c ^ (r & 7)) << 4);
#endif
}

/// Issues the cp.async copies of one ROWS × BK tile; rows ≥ rows or k ≥ K are zero-filled.
template <int ROWS>
__device__ __forceinline__ void load_tile(u32 s, const u8 *g, int ld, int row0, int rows, int k0, int K) {
#pragma unroll
    for (int it = 0; it < ROWS * CPR / NT; it++) {
        int id = threadIdx.x + it * NT, r = id / CPR, c = id % CPR;
        int gr = row0 + r, gk = k0 + c * 16;
        bool ok = gr < rows && gk < K;
        cp_async16(s + swz(r, c), ok ? (const void *)(g + (long)gr * ld + gk) : (const void *)g, ok ? 16 : 0);
    }
}

#ifdef W4
/// Packed INT4 B tile, BN rows × BK/2 bytes (BK codes): each thread owns 8-byte pieces (16 codes).
#define W4_IT (BN * CPR / NT)
__device__ __forceinline__ void w4_fetch(uint2 *regs, const u8 *g, int ld, int n0, int N, int k0, int K) {
#pragma unroll
    for (int it = 0; it < W4_IT; it++) {
        int id = threadIdx.x + it * NT, r = id / CPR, c = id % CPR;
        int gr = n0 + r, gk = k0 + c * 16;
        regs[it] = (gr < N && gk < K) ? *(const uint2 *)(g + (long)gr * ld + gk / 2) : make_uint2(0x88888888u, 0x88888888u);
    }
}
/// 4 packed bytes (8 codes, nibble = code + 8) → 8 INT8 codes in k order.
__device__ __forceinline__ void w4_expand(u32 w, u32 &lo, u32 &hi) {
    u32 a = w & 0x0F0F0F0Fu, b = (w >> 4) & 0x0F0F0F0Fu;
    lo = __vsub4(__byte_perm(a, b, 0x5140), 0x08080808u);
    hi = __vsub4(__byte_perm(a, b, 0x7362), 0x08080808u);
}
__device__ __forceinline__ void w4_store(u32 s, const uint2 *regs) {
#pragma unroll
    for (int it = 0; it < W4_IT; it++) {
        int id = threadIdx.x + it * NT, r = id / CPR, c = id % CPR;
        u32 x0, x1, x2, x3;
        w4_expand(regs[it].x, x0, x1);
        w4_expand(regs[it].y, x2, x3);
        asm volatile("st.shared.v4.u32 [%0], {%1,%2,%3,%4};\n" :: "r"(s + swz(r, c)), "r"(x0), "r"(x1), "r"(x2), "r"(x3));
    }
}
#endif

/// ldmatrix of one k32 step's fragments: A [MF][4] (rows of the warp tile), B [NF][2].
__device__ __forceinline__ void load_frags(u32 tA, u32 tB, int ks, int wm, int wn, int lane, u32 (*af)[4], u32 (*bfr)[2]) {
#pragma unroll
    for (int i = 0; i < MF; i++) {
        int r = wm * WTM + i * 16 + (lane & 15), c = ks * 2 + (lane >> 4);
        ldsm_x4(tA + swz(r, c), af[i][0], af[i][1], af[i][2], af[i][3]);
    }
#pragma unroll
    for (int j = 0; j < NF / 2; j++) {
        int r = wn * WTN + j * 16 + (lane & 7) + ((lane >> 4) << 3), c = ks * 2 + ((lane >> 3) & 1);
        ldsm_x4(tB + swz(r, c), bfr[2 * j][0], bfr[2 * j][1], bfr[2 * j + 1][0], bfr[2 * j + 1][1]);
    }
}

extern "C" __global__ void __launch_bounds__(NT, MINB)
lb_gemm8(const u8 *A, int lda, const u8 *B, int ldb, const float *sa, const float *sb, const h16 *bias,
         h16 *C, int ldc, int M, int N, int K, int act) {
    extern __shared__ __align__(128) u8 smem[];
    const u32 sA = smem_addr(smem), sB = sA + STAGES * TILE_A;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wm = warp / WN, wn = warp % WN;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int KT = (K + BK - 1) / BK;

    // The epilogue's scales and bias, staged once in shared memory behind the tiles (read
    // after the main loop's barriers): sa[BM], sb[BN], bias[BN] as f32; 0 beyond M and N.
    float *eS = (float *)(smem + STAGES * (TILE_A + TILE_B));
    for (int i = threadIdx.x; i < BM + 2 * BN; i += NT) {
        float v = 0.0f;
        if (i < BM) { if (m0 + i < M) v = sa[m0 + i]; }
        else if (i < BM + BN) { if (n0 + i - BM < N) v = sb[n0 + i - BM]; }
        else if (bias && n0 + i - BM - BN < N) v = h2f(bias[n0 + i - BM - BN]);
        eS[i] = v;
    }

    acc_t acc[MF][NF][4];
#pragma unroll
    for (int i = 0; i < MF; i++)
#pragma unroll
        for (int j = 0; j < NF; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[i][j][e] = 0;

#ifdef W4
    uint2 wregs[W4_IT];
#endif
    // Prologue: stages 0 … STAGES-2.
#pragma unroll
    for (int s = 0; s < STAGES - 1; s++) {
        if (s < KT) {
            load_tile<BM>(sA + s * TILE_A, A, lda, m0, M, s * BK, K);
#ifdef W4
            w4_fetch(wregs, B, ldb, n0, N, s * BK, K);
            w4_store(sB + s * TILE_B, wregs);
#else
            load_tile<BN>(sB + s * TILE_B, B, ldb, n0, N, s * BK, K);
#endif
        }
        cp_async_commit();
    }

    for (int kt = 0; kt < KT; kt++) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();    // tile kt visible to all; slot (kt-1) % STAGES free for reuse
        const int nk = kt + STAGES - 1, ns = nk % STAGES;
        if (nk < KT) {
            load_tile<BM>(sA + ns * TILE_A, A, lda, m0, M, nk * BK, K);
#ifdef W4
            w4_fetch(wregs, B, ldb, n0, N, nk * BK, K);
#else
            load_tile<BN>(sB + ns * TILE_B, B, ldb, n0, N, nk * BK, K);
#endif
        }
        cp_async_commit();

        const u32 tA = sA + (kt % STAGES) * TILE_A, tB = sB + (kt % STAGES) * TILE_B;
        u32 af[2][MF][4], bfr[2][NF][2];
        load_frags(tA, tB, 0, wm, wn, lane, af[0], bfr[0]);
#pragma unroll
        for (int ks = 0; ks < KSTEPS; ks++) {
            if (ks + 1 < KSTEPS) load_frags(tA, tB, ks + 1, wm, wn, lane, af[(ks + 1) & 1], bfr[(ks + 1) & 1]);
#pragma unroll
            for (int i = 0; i < MF; i++)
#pragma unroll
                for (int j = 0; j < NF; j++)
#ifdef MMA_ORDERED
                    asm volatile(MMA_ASM
#else
                    asm(MMA_ASM
#endif
                        : ACC_C(acc[i][j][0]), ACC_C(acc[i][j][1]), ACC_C(acc[i][j][2]), ACC_C(acc[i][j][3])
                        : "r"(af[ks & 1][i][0]), "r"(af[ks & 1][i][1]), "r"(af[ks & 1][i][2]), "r"(af[ks & 1][i][3]),
                          "r"(bfr[ks & 1][j][0]), "r"(bfr[ks & 1][j][1]));
        }
#ifdef W4
        if (nk < KT) w4_store(sB + ns * TILE_B, wregs);
#endif
    }
    cp_async_wait<0>();

    // Epilogue: c0,c1 → (row g, cols 2t, 2t+1); c2,c3 → (row g+8, same cols).
    const bool pairs = (ldc & 1) == 0 && (((unsigned long)C) & 3) == 0;
#pragma unroll
    for (int j = 0; j < NF; j++) {
        const int lc = wn * WTN + j * 8 + (lane & 3) * 2, col = n0 + lc;
        const float s0 = eS[BM + lc], s1 = eS[BM + lc + 1], b0 = eS[BM + BN + lc], b1 = eS[BM + BN + lc + 1];
#pragma unroll
        for (int i = 0; i < MF; i++) {
#pragma unroll
            for (int h = 0; h < 2; h++) {
                const int lr = wm * WTM + i * 16 + (lane >> 2) + h * 8, row = m0 + lr;
                const float s = eS[lr];
                float v0 = dequant((float)acc[i][j][2 * h], s, s0, b0);
                float v1 = dequant((float)acc[i][j][2 * h + 1], s, s1, b1);
                if (act == 1) { v0 = gelu_erf(v0); v1 = gelu_erf(v1); }
                if (row >= M || col >= N) continue;
                h16 *out = C + (long)row * ldc + col;
                if (col + 1 < N && pairs) *(u32 *)out = pack_h2(v0, v1);
                else { out[0] = f2h(v0); if (col + 1 < N) out[1] = f2h(v1); }
            }
        }
    }
}

/// Plain reference GEMM on the GPU, any K and strides (one thread per output; for checking and
/// odd shapes): same formula as lb_gemm8 with INT8 A and B.
extern "C" __global__ void lb_gemm8_simple(const i8 *A, int lda, const i8 *B, int ldb, const float *sa, const float *sb,
                                           const h16 *bias, h16 *C, int ldc, int M, int N, int K, int act) {
    const int n = blockIdx.x * blockDim.x + threadIdx.x, m = blockIdx.y;
    if (n >= N || m >= M) return;
    int acc = 0;
    for (int k = 0; k < K; k++) acc += (int)A[(long)m * lda + k] * (int)B[(long)n * ldb + k];
    float v = dequant((float)acc, sa[m], sb[n], bias ? h2f(bias[n]) : 0.0f);
    if (act == 1) v = gelu_erf(v);
    C[(long)m * ldc + n] = f2h(v);
}
"""#
}
