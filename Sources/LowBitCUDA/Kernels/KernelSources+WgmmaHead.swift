// CUDA C source, compiled at run time by NVRTC (see KernelCompiler). Edit the text here.
// The Hopper GEMM's head: the sm_90a primitives it shares with the wgmma attention tiles, its
// description, types and device helpers (KernelSources+Wgmma.swift holds the kernel body).
extension KernelSources {
    /// Hopper (sm_90a) pieces shared by the GEMM and the wgmma attention tiles: the async-proxy fence,
    /// the descriptor packer (and the GEMM's K-major 128-byte-swizzle form), and wgmma's fence / commit / wait.
    static let wgmmaPrimitives = #"""
/// Makes this thread's shared-memory writes visible to the async proxy (TMA, wgmma).
__device__ __forceinline__ void fence_async_smem() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
/// wgmma shared-memory descriptor: start address, leading and stride byte offsets in 16-byte units,
/// swizzle (1: 128-byte, 2: 64-byte, 3: 32-byte).
__device__ __forceinline__ unsigned long long wgmma_desc(u32 addr, unsigned long long lbo16, unsigned long long sbo16,
                                                         unsigned long long swizzle) {
    return (unsigned long long)((addr & 0x3FFFF) >> 4) | (lbo16 << 16) | (sbo16 << 32) | (swizzle << 62);
}
/// A K-major tile with the 128-byte swizzle: leading offset 16 bytes (unused when swizzled), 1024
/// bytes between 8-row groups.
__device__ __forceinline__ unsigned long long smem_desc(u32 addr) { return wgmma_desc(addr, 1, 64, 1); }
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_wait1() { asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory"); }

"""#

    static let wgmmaHead = #"""
// Hopper GEMM: C[m, n] = epilogue(Σ_k A[m, k] · B[n, k]), A [M, K] and B [N, K] both K-contiguous.
//
// OPS 0: INT8 × INT8 → s32 (exact), C = fp16(dequant(acc, sa[m], sb[n], bias[n])) — the same
//        `dequant` as lb_gemm8, so both kernels give the same bits;
// OPS 1: FP8 e4m3 → f32, the same epilogue. FP8_FAST 0 ("promotion"): each 128-deep k tile is
//        accumulated by wgmma in a fresh register set and added to the f32 total in ordinary f32
//        adds after the tile's wgmma have drained, so the tensor cores' reduced-precision FP8
//        accumulation spans 128 products only. (Adding one set while the next k tile runs into a
//        second set made ptxas serialize every wgmma, C7514, in each loop shape tried: reads of
//        the first set after wait_group 1 were not accepted.) FP8_FAST 1: no promotion, the
//        tensor cores accumulate all of K on
//        the INT8 schedule, ping-pong allowed (cuBLASLt's fast accumulation). Within a k32 step
//        the tensor cores align the products to the largest one (~13 fraction bits kept):
//        measured errors exceed an f32 sum's in both modes, so both are cuBLASLt's "fast
//        accumulation" class and gemmAny does not choose them;
// OPS 2: FP16 → f32, C = fp16(acc + bias[n]).
// act = 1 applies GELU(erf) last.
//
// Block: 384 threads = 3 warpgroups. Warpgroup 0 is the producer: one thread issues TMA loads
// of 128-byte-wide K slices (128 rows of A, BN rows of B per stage; the tensor maps use the
// 128-byte swizzle, which is the canonical K-major layout wgmma reads) into a STAGES-deep ring,
// signalled by `full` mbarriers (transaction bytes) and released by `empty` ones. Warpgroups 1
// and 2 are consumers, each computing 64 rows × BN columns with m64nBNk32 (k16 for FP16) wgmma
// from shared-memory descriptors. The grid is persistent (≤ one block per SM): each block walks
// output tiles blockIdx.x, + gridDim.x, …, N-tile fastest, and the producer runs ahead into the
// next tile while the consumers do the epilogue. setmaxnreg moves registers from the producer
// to the consumers (BN/2 accumulators each, twice that with FP8 promotion).
// TMA zero-fills out-of-range rows and the K tail; the epilogue stores only m < M, n < N.
// K is in bytes (elements × element size); the host checks 16-byte row strides and alignment.
// Output: each 64 × 64 piece is staged in shared memory in the 128-byte-swizzled layout, then
// written as whole 16-byte row segments, by the threads (TMA_STORE 0) or by one TMA store
// (TMA_STORE 1: a slot per piece of the group's 64 × BN or 128 × BN part, so the consumers go on to the next
// tile while the copy engine drains them; the slots are reused once that tile's main loop is
// over and its stores have been read out — the stores then overlap the next main loop instead
// of stalling the warps at a full store queue).
#define BM 128
#define BKB 128                       // bytes of K per stage (one 128-byte swizzle row)
#define NCONS 2
#if OPS == 0
typedef int acc_t;
#else
typedef float acc_t;
#endif
#define NACC (BN / 2)
#ifndef FP8_FAST
#define FP8_FAST 0
#endif
#define PROMOTE (OPS == 1 && !FP8_FAST)       // f32 totals of per-k-tile wgmma sums
#ifndef PINGPONG
#define PINGPONG 0
#endif
#define HALVES (PINGPONG ? 2 : 1)             // m64 halves of the tile one consumer group computes
// Ping-pong keeps one ring, filled tile after tile, and takes turns: a group starts a tile's main
// loop only once the other group has issued the previous tile's last wgmma (the `turn` mbarriers),
// so the ring is consumed in order and no group waits on a stage more than one phase ahead (which
// parity waits could not tell from the phase before). Its epilogue then runs under the other
// group's main loop.
#define SLOT(it) ((it) % STAGES)
#if PINGPONG && PROMOTE
#error "promoted FP8 keeps the cooperative schedule (its totals need the registers)"
#endif
#ifndef TMA_STORE
#define TMA_STORE 0
#endif
// 8 KB staging slots per consumer group: with TMA stores STAGING_SLOTS (the host's
// `WgmmaConfig.slotsPerGroup`, 1…PIECES), taken in turn by the group's 64 × 64 pieces, a slot's
// next piece waiting until its last store has read it; with the threads' stores one.
#define PIECES (HALVES * BN / 64)
#ifndef STAGING_SLOTS
#define STAGING_SLOTS PIECES
#endif
#define SLOTS (TMA_STORE ? STAGING_SLOTS : 1)
// OUT_E4M3 1: C holds FP8 e4m3 codes of the result at unit scale (round to nearest even,
// saturating to ±448; ldc in bytes), and GELU is gelu_tanh: the output is 8-bit, so the cheaper
// form's ≤ 10⁻³ error is far below its step. Staged as 64 rows × 64 bytes, 16-byte chunks
// XOR-swizzled by (row / 2) % 4 — TMA's 64-byte swizzle, so a TMA store (a map with 64-byte
// boxes and that swizzle) writes the staged piece as the threads' stores would.
#ifndef OUT_E4M3
#define OUT_E4M3 0
#endif
#if OUT_E4M3
#define EPI_GELU gelu_tanh
#else
#define EPI_GELU gelu_erf
#endif
#define OUT_BYTES (OUT_E4M3 ? 1 : 2)          // bytes per element of C
#define ROW_B (64 * OUT_BYTES)               // bytes per staged row of a 64 × 64 piece
/// Offset of byte b of staged row `row`: 16-byte chunks XOR-swizzled by the offset's bits 7… (TMA's
/// swizzle over ROW_B-byte rows: row % 8 for 128, (row / 2) % 4 for 64).
template <int RB> __device__ __forceinline__ u32 stage_off_rb(int row, int b) {
    return (u32)(row * RB + ((((b) >> 4) ^ ((row * RB >> 7) & (RB / 16 - 1))) << 4) + (b & 15));
}
__device__ __forceinline__ u32 stage_off(int row, int b) { return stage_off_rb<ROW_B>(row, b); }
/// The threads' stores of a staged 64-row piece (rows of 64 elements of EB bytes, laid out as
/// stage_off_rb<64·EB>) to rows row0…, columns col0… of `out` (row stride ld elements), only
/// rows < M and columns < N: 64 rows × 4·EB chunks of 16 bytes over the group's 128 threads;
/// `vec`: out and ld allow whole 16-byte chunks.
template <int EB>
__device__ __forceinline__ void store_piece(u32 slot, int t, u8 *out, int ld, int row0, int col0, int M, int N, bool vec) {
    constexpr int RB = 64 * EB;
    #pragma unroll
    for (int q = 0; q < RB / 32; q++) {
        const int id = 128 * q + t, row = id / (RB / 16), ch = id % (RB / 16);
        const int gr = row0 + row, gc = col0 + ch * (16 / EB);
        uint4 v;
        asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
                     : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "r"(slot + stage_off_rb<RB>(row, 16 * ch)) : "memory");
        if (gr >= M || gc >= N) continue;
        u8 *o = out + ((long)gr * ld + gc) * EB;
        if (vec && gc + 16 / EB <= N) {
            *(uint4 *)o = v;
        } else {
            for (int e = 0; e < 16 / EB && gc + e < N; e++) {
                const int b = e * EB;
                const u32 w = (b < 4 ? v.x : b < 8 ? v.y : b < 12 ? v.z : v.w) >> (8 * (b & 3));
                if (EB == 1) o[b] = (u8)w; else *(h16 *)(o + b) = (h16)w;
            }
        }
    }
}

/// A CUtensorMap (128 bytes, 64-byte aligned), encoded by the host with cuTensorMapEncodeTiled.
struct __align__(64) TensorMap { unsigned long long v[16]; };

__device__ __forceinline__ void mbar_init(u32 bar, u32 count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" :: "r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(u32 bar, u32 bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" :: "r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(u32 bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" :: "r"(bar) : "memory");
}
__device__ __forceinline__ void mbar_wait(u32 bar, u32 parity) {
    u32 done = 0;
    while (!done) {
        asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                     : "=r"(done) : "r"(bar), "r"(parity) : "memory");
    }
}
/// TMA: the box at (x = byte column, y = row) of `map` into shared memory at dst; completion
/// is counted on `bar` in bytes.
__device__ __forceinline__ void tma_load(u32 dst, const TensorMap *map, u32 bar, int x, int y) {
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], [%2];\n"
                 :: "r"(dst), "l"((unsigned long long)map), "r"(bar), "r"(x), "r"(y) : "memory");
}
/// TMA store of the swizzled 64-row box at src (128-byte rows, or 64-byte with OUT_E4M3: the
/// map's box) to (x = byte column, y = row) of `map` (out-of-range parts are not written), as one
/// bulk group of this thread.
__device__ __forceinline__ void tma_store(const TensorMap *map, u32 src, int x, int y) {
    asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%2, %3}], [%1];\n"
                 :: "l"((unsigned long long)map), "r"(src), "r"(x), "r"(y) : "memory");
    asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
}
/// Waits until this thread's bulk stores have read their shared-memory source (READ 1) or are
/// complete (READ 0).
template <int READ> __device__ __forceinline__ void tma_store_wait() {
    if (READ) asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory");
    else asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory");
}
/// Waits until at most N of this thread's latest bulk store groups are still reading shared memory.
template <int N> __device__ __forceinline__ void tma_store_wait_read_all_but() {
    asm volatile("cp.async.bulk.wait_group.read %0;\n" :: "n"(N) : "memory");
}
/// A consumer's release of a stage to the producer.
__device__ __forceinline__ void release_stage(u32 bar) { mbar_arrive(bar); }
/// Barrier of one consumer warpgroup (128 threads), id 1 + consumer (0 is __syncthreads).
__device__ __forceinline__ void consumer_sync(int c) { asm volatile("bar.sync %0, 128;\n" :: "r"(1 + c) : "memory"); }

// LN_FUSE 1 (`wgmmaLayerNorm`): the epilogue ends in the encoder's add + layernorm,
// Y = LN(dequant(acc) + bias + R)·γ + β over whole rows of N = CLUSTER·BN columns, and with
// LN_QMODE 1 / 2 also Y's per-token INT8 / FP8 e4m3 codes (Q, scale absmax/127 or /448 in qscale).
// A cluster of CLUSTER blocks shares each 128-row tile, block r of it taking columns r·BN…; the
// row statistics (each block's mean and Σ(v − mean)² over its columns, then its |Y| maximum) are
// exchanged through distributed shared memory (`xchg`). Threads' stores only (TMA_STORE 0).
#ifndef LN_FUSE
#define LN_FUSE 0
#endif
#ifndef LN_QMODE
#define LN_QMODE 0
#endif
#ifndef CLUSTER
#define CLUSTER 1
#endif
// LN_ABLATE (timing only, `WgmmaLayerNorm.ablation`): bit 1 no exchange, 2 no residual loads, 4 no global stores,
// 8 no layernorm (y = dequant(acc) + bias + R, no codes).
#ifndef LN_ABLATE
#define LN_ABLATE 0
#endif
#if LN_FUSE
#if TMA_STORE || OUT_E4M3
#error "the layernorm epilogue stores with the threads, in fp16 and codes"
#endif
#define LN_PARAMS , const h16 *__restrict__ R, int ldr, const h16 *__restrict__ gamma, const h16 *__restrict__ beta, \
    float eps, u8 *__restrict__ Q, int ldq, float *__restrict__ qscale
#define KERNEL_ATTRS __launch_bounds__(384, 1) __cluster_dims__(CLUSTER, 1, 1)
/// This block's rank in its cluster, the cluster's index and the number of clusters (1-D grid).
__device__ __forceinline__ u32 cluster_rank() { u32 r; asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r)); return r; }
__device__ __forceinline__ u32 cluster_index() { u32 r; asm volatile("mov.u32 %0, %%clusterid.x;\n" : "=r"(r)); return r; }
__device__ __forceinline__ u32 cluster_count() { u32 r; asm volatile("mov.u32 %0, %%nclusterid.x;\n" : "=r"(r)); return r; }
/// Every thread of every block of the cluster (memory ordered at cluster scope).
__device__ __forceinline__ void cluster_sync_all() {
    asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;\n" ::: "memory");
}
/// The address of this shared-memory location in block `rank` of the cluster.
__device__ __forceinline__ u32 map_rank(u32 addr, u32 rank) {
    u32 r; asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(r) : "r"(addr), "r"(rank)); return r;
}
/// Waits for phase `parity` of `bar`, whose arrivals come from the cluster's blocks. (The acquire
/// at cluster scope compiles to CCTL.IVALL, an L1 invalidation: 372 of the fused kernel's 9067
/// epilogue stall samples in Nsight Compute, H100 2026-12-07 14:55 UTC. A CTA-scope acquire, as
/// TMA multicast waits use, was not tried.) Bounded: a
/// missing arrival (a fault in the exchange) traps after 2 s, so the launch fails with an error
/// instead of hanging the stream.
__device__ __forceinline__ u32 mbar_try_cluster(u32 bar, u32 parity) {
    u32 done;
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(done) : "r"(bar), "r"(parity) : "memory");
    return done;
}
__device__ __forceinline__ unsigned long long global_ns() {
    unsigned long long t; asm volatile("mov.u64 %0, %%globaltimer;\n" : "=l"(t)); return t;
}
__device__ __forceinline__ void mbar_wait_cluster(u32 bar, u32 parity) {
    if (mbar_try_cluster(bar, parity)) return;
    const unsigned long long t0 = global_ns();
    while (!mbar_try_cluster(bar, parity)) {
        if (global_ns() - t0 > 2000000000ull) asm volatile("trap;\n");
    }
}
/// One exchange of per-row pairs among the cluster: a 64-row half of a consumer group's tile,
/// thread quad (lane / 4) holding rows rloc and rloc + 8 (rloc = 16·warp + lane / 4). The quad's
/// first thread writes (a, b) for those rows into `slot` ([CLUSTER][64] float2) of every block at
/// this block's rank, as `st.async` stores that complete their 16 bytes on the receiver's `bar`,
/// whose phase is one local arrival (thread t 0, expecting CLUSTER · 512 bytes); every thread
/// then waits for `bar`'s phase `parity` (acquire at cluster scope). No fence on the sender's
/// side: plain remote stores, each followed by a release-at-cluster-scope arrival, made the whole
/// kernel 1.2–1.5× slower (H100, 2026-12-07 14:12 UTC; such a release waits for the thread's
/// earlier global stores). Two slots a group, used in turn: a block writes exchange x + 2 into a
/// slot only after every block sent x + 1, which each sends only after reading x.
__device__ __forceinline__ void xchg(u32 slot, u32 bar, u32 parity, int rank, int rloc, int t, float2 a, float2 b) {
    if (t == 0) mbar_expect_tx(bar, CLUSTER * 512);
    if ((t & 3) == 0) {
        const u32 off = slot + (u32)(rank * 64 + rloc) * 8;
        #pragma unroll
        for (int p = 0; p < CLUSTER; p++) {
            const u32 rb = map_rank(bar, p);
            asm volatile("st.async.shared::cluster.mbarrier::complete_tx::bytes.v2.f32 [%0], {%1, %2}, [%3];\n"
                         :: "r"(map_rank(off, p)), "f"(a.x), "f"(a.y), "r"(rb) : "memory");
            asm volatile("st.async.shared::cluster.mbarrier::complete_tx::bytes.v2.f32 [%0], {%1, %2}, [%3];\n"
                         :: "r"(map_rank(off + 64, p)), "f"(b.x), "f"(b.y), "r"(rb) : "memory");
        }
    }
    mbar_wait_cluster(bar, parity);
}
/// The exchanged pairs of local row `row` in `slot`, block p's at p.
__device__ __forceinline__ float2 xchg_read(u32 slot, int p, int row) {
    float2 v;
    asm volatile("ld.shared.v2.f32 {%0, %1}, [%2];\n" : "=f"(v.x), "=f"(v.y) : "r"(slot + (u32)(p * 64 + row) * 8) : "memory");
    return v;
}
__device__ __forceinline__ float quad_sum(float v) {
    v += __shfl_xor_sync(0xffffffffu, v, 1);
    return v + __shfl_xor_sync(0xffffffffu, v, 2);
}
__device__ __forceinline__ float quad_max(float v) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 1));
    return fmaxf(v, __shfl_xor_sync(0xffffffffu, v, 2));
}
/// The codes of two values (v0 in the low byte) at scale s (inv = __frcp_rn(s)), as the row
/// kernels give them: INT8 rn(v / s) clamped to ±127 (through v·inv unless near a half-way point,
/// see i8_codes8), FP8 e4m3(v / s); 0 where s is 0.
__device__ __forceinline__ u32 code_pair(float v0, float v1, float s, float inv) {
    if (!(s > 0.0f)) return 0;
#if LN_QMODE == 1
    const float t0 = v0 * inv, t1 = v1 * inv;
    float r0 = rintf(t0), r1 = rintf(t1);
    if (isinf(inv) || fabsf(fabsf(t0 - r0) - 0.5f) < 1e-4f || fabsf(fabsf(t1 - r1) - 0.5f) < 1e-4f) {
        r0 = rintf(__fdiv_rn(v0, s)); r1 = rintf(__fdiv_rn(v1, s));
    }
    return (u32)code_of<1>(r0) | ((u32)code_of<1>(r1) << 8);
#else
    return e4m3x2(__fdiv_rn(v0, s), __fdiv_rn(v1, s));
#endif
}
#else
#define LN_PARAMS
#define KERNEL_ATTRS __launch_bounds__(384, 1)
#endif

"""#
}
