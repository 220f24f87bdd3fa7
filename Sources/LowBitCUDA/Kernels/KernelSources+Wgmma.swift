// CUDA C source, compiled at run time by NVRTC (see KernelCompiler). Edit the text here.
extension KernelSources {
    /// Hopper GEMM (sm_90a): TMA loads, `wgmma`, one producer and two consumer warpgroups,
    /// persistent over output tiles, dequantization epilogue fused. See `wgmmaBody`. `output`
    /// `.e4m3` needs a tile without TMA stores.
    /// `layerNorm`: the add + layernorm epilogue instead (`WgmmaLayerNorm`; fp16 output, no TMA stores).
    public static func wgmma(_ config: WgmmaConfig, operands: GemmOperands, output: KernelOutput = .fp16,
                             layerNorm: WgmmaLayerNorm? = nil) -> Unit {
        let (ops, inst, k) : (Int, String, Int)
        switch operands {
        case .fp16: (ops, inst, k) = (2, "f32.f16.f16", 16)
        case .eightBit(.fp8e4m3): (ops, inst, k) = (1, "f32.e4m3.e4m3", 32)
        default: (ops, inst, k) = (0, "s32.s8.s8", 32)   // INT8 (W4A8 is refused by the caller)
        }
        let regs = config.bn / 2
        let dList = (0..<regs).map { "%\($0)" }.joined(separator: ",")
        let immediates = ops == 2 ? ", 1, 1, 0, 0" : ops == 1 ? ", 1, 1" : ""
        let constraint = ops == 0 ? "+r" : "+f"
        let operandsList = (0..<regs).map { "\"\(constraint)\"(d[\($0)])" }.joined(separator: ", ")
        // One wgmma m64nBNkK: d (BN/2 registers per thread) += A(desc) · B(desc)ᵀ, or = when scale_d is 0.
        let mma = """
        __device__ __forceinline__ void wgmma_tile(acc_t *d, unsigned long long da, unsigned long long db, int scale_d) {
            asm volatile("{\\n.reg .pred p;\\nsetp.ne.b32 p, %\(regs + 2), 0;\\n"
                         "wgmma.mma_async.sync.aligned.m64n\(config.bn)k\(k).\(inst) {\(dList)}, %\(regs), %\(regs + 1), p\(immediates);\\n}\\n"
                         : \(operandsList)
                         : "l"(da), "l"(db), "r"(scale_d));
        }

        """
        let options = ["-DBN=\(config.bn)", "-DSTAGES=\(config.stages)", "-DOPS=\(ops)",
                       "-DPINGPONG=\(config.pingPong ? 1 : 0)", "-DTMA_STORE=\(config.tmaStore ? 1 : 0)",
                       "-DSTAGING_SLOTS=\(config.slotsPerGroup)", "-DFP8_FAST=\(config.fp8Accumulation == .fast ? 1 : 0)",
                       "-DOUT_E4M3=\(output == .e4m3 ? 1 : 0)"]
            + (layerNorm?.options ?? [])
        return Unit(name: wgmmaName(config, operands: operands, output: output, layerNorm: layerNorm),
                    source: commonSource + wgmmaPrimitives + (layerNorm == nil ? "" : rowHelperSource) + wgmmaHead + mma + wgmmaSource,
                    options: options, archSpecific: true)
    }

    /// `wgmmaBody` with its epilogue (between the `// <epilogue>` and `// </epilogue>` marks)
    /// written out twice, `if (act) { …EPI_ACT 1… } else { …EPI_ACT 0… }`, so that GELU is a
    /// compile-time choice inside it.
    static let wgmmaSource: String = {
        let body = wgmmaBody
        guard let open = body.range(of: "        // <epilogue>\n"), let close = body.range(of: "        // </epilogue>\n") else {
            preconditionFailure("wgmmaBody lost its epilogue marks")
        }
        let epilogue = String(body[open.upperBound..<close.lowerBound])
        let twice = "        if (act) {\n#define EPI_ACT 1\n" + epilogue + "#undef EPI_ACT\n        } else {\n#define EPI_ACT 0\n"
            + epilogue + "#undef EPI_ACT\n        }\n"
        return String(body[..<open.lowerBound]) + twice + String(body[close.upperBound...])
    }()

    /// The unit's name (and cache file stem), known without assembling its source.
    public static func wgmmaName(_ config: WgmmaConfig, operands: GemmOperands, output: KernelOutput = .fp16,
                                 layerNorm: WgmmaLayerNorm? = nil) -> String {
        "wgmma-\(operands)-\(config.name)" + (output == .e4m3 ? "-oe4m3" : "") + (layerNorm.map { "-" + $0.name } ?? "")
    }

    static let wgmmaBody = #"""
extern "C" __global__ void KERNEL_ATTRS
lb_wgmma(const __grid_constant__ TensorMap tmA, const __grid_constant__ TensorMap tmB, const __grid_constant__ TensorMap tmC,
         const float *__restrict__ sa, const float *__restrict__ sb, const h16 *__restrict__ bias,
         h16 *__restrict__ C, int ldc, int M, int N, int K, int act LN_PARAMS) {
    extern __shared__ __align__(1024) unsigned char smem_raw[];
    const u32 raw = smem_addr(smem_raw);
    const u32 sA = (raw + 1023) & ~1023u;                 // swizzled tiles need 1024-byte alignment
    const u32 sB = sA + STAGES * BM * BKB;
    // Per consumer SLOTS staging tiles of 64 × 64 fp16 (8 KB, 1024-aligned for the swizzle).
    const u32 stg = sB + STAGES * BN * BKB;
    // mbarriers: full and empty per stage, then turn[c] (ping-pong: group c may start its next main loop).
    const u32 full = stg + NCONS * SLOTS * 8192, empty = full + 8 * STAGES, turn = empty + 8 * STAGES;
    // Per consumer: the tile's column scales and bias as f32 (2·BN floats), staged after the
    // main loop so that the epilogue reads shared memory instead of waiting on global loads.
#if LN_FUSE
    // LN: the exchange barriers (per consumer two slots), then per consumer 4·BN floats (column
    // scales, bias, γ, β), then per consumer two exchange slots of CLUSTER × 64 float2.
    const u32 xbar = turn + 16;
    float *epi = (float *)(smem_raw + (xbar + 32 - raw));
    const u32 xbuf = xbar + 32 + NCONS * 4 * BN * 4;
    const int rank = cluster_rank();
    // Each cluster takes whole 128-row tiles (clusters c, c + nclusters, …); block r its columns r·BN….
    const int tilesN = 1, kTiles = (K + BKB - 1) / BKB;
    const int units = (M + BM - 1) / BM, unit0 = cluster_index(), unitStep = cluster_count();
#define TILE_N0(u) (rank * BN)
#else
    float *epi = (float *)(smem_raw + (turn + 16 - raw));
    const int tilesN = (N + BN - 1) / BN, kTiles = (K + BKB - 1) / BKB;
    // Output tiles, N fastest; block b takes tiles b, b + gridDim.x, …
    const int units = tilesN * ((M + BM - 1) / BM), unit0 = blockIdx.x, unitStep = gridDim.x;
#define TILE_N0(u) (((u) % tilesN) * BN)
#endif
    const int wg = threadIdx.x >> 7, t = threadIdx.x & 127;
#define TILE_M0(u) (((u) / tilesN) * BM)
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; s++) { mbar_init(full + 8 * s, 1); mbar_init(empty + 8 * s, PINGPONG ? 1 : NCONS); }
        mbar_init(turn, 1); mbar_init(turn + 8, 1);
#if LN_FUSE
        for (int i = 0; i < 2 * NCONS; i++) mbar_init(xbar + 8 * i, 1);
#endif
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
#if LN_FUSE
    cluster_sync_all();                       // every block's barriers exist before any remote arrive
#else
    __syncthreads();
#endif
    if (wg == 0) {
        asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n");
        if (t == 0) {
            int it = 0;                             // position in the ring
            for (int u = unit0; u < units; u += unitStep) {
                const int m0 = TILE_M0(u), n0 = TILE_N0(u);
#if LN_FUSE
                // The tile's residual rows (BN fp16 each), asked into L2 ahead of the epilogue that
                // reads them. (H100, 2026-12-07: these 128 prefetches a tile triple the time of the
                // GEMM part alone, but with the epilogue on they cost ~3 %: 180.6 µs against 175.2
                // without any at 32768 × 768 × 768. The kernel without them was not self-tested
                // before the device time ran out, and one with 2 TMA box prefetches instead failed
                // its self-test, so this, the form that passed it, stays.)
                for (int r = 0; r < BM && m0 + r < M; r++) {
                    const h16 *p = R + (long)(m0 + r) * ldr + n0;
                    if ((((unsigned long)p) & 15) == 0)
                        asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" :: "l"(p), "r"(BN * 2) : "memory");
                }
#endif
                for (int kt = 0; kt < kTiles; kt++, it++) {
                    const int s = SLOT(it);
                    if (it >= STAGES) mbar_wait(empty + 8 * s, ((it / STAGES) - 1) & 1);
                    mbar_expect_tx(full + 8 * s, (BM + BN) * BKB);
                    tma_load(sA + s * BM * BKB, &tmA, full + 8 * s, kt * BKB, m0);
                    tma_load(sB + s * BN * BKB, &tmB, full + 8 * s, kt * BKB, n0);
                }
            }
        }
    } else {
    asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n");
    const int c = wg - 1, warp = t >> 5, lane = t & 31;
#if LN_FUSE
    float *sbS = epi + c * 4 * BN, *biasS = sbS + BN, *gS = biasS + BN, *btS = gS + BN;
    // γ and β of this block's columns (the same for every tile), read only after the group's
    // first barrier below.
    for (int i = t; i < BN; i += 128) { gS[i] = h2f(gamma[rank * BN + i]); btS[i] = h2f(beta[rank * BN + i]); }
    const u32 xs = xbuf + c * 2 * CLUSTER * 512, xb = xbar + 16 * c;
    u32 xc = 0;                               // this group's exchanges so far (slot xc % 2, phase xc / 2)
    const bool vecY = (((unsigned long)C) & 15) == 0 && (ldc & 7) == 0;
#if LN_QMODE
    const bool vecQ = (((unsigned long)Q) & 15) == 0 && (ldq & 15) == 0;
#endif
#else
    float *sbS = epi + c * 2 * BN, *biasS = sbS + BN;
#endif
    const u32 stage = stg + c * SLOTS * 8192;
#if !TMA_STORE && !LN_FUSE
    const bool vec = (((unsigned long)C) & 15) == 0 && (ldc & (OUT_E4M3 ? 15 : 7)) == 0;
#endif
    // Cooperative: both groups on every tile, group c on rows 64c…64c + 63. Ping-pong: group c on
    // every other tile (c, c + 2, …), all 128 rows, so that one group's epilogue runs while the
    // other's wgmma keep the tensor cores busy.
    for (int u = unit0 + (PINGPONG ? c * unitStep : 0); u < units; u += (PINGPONG ? 2 : 1) * unitStep) {
        const int m0 = TILE_M0(u) + (PINGPONG ? 0 : c * 64), n0 = TILE_N0(u);
        // The block's q-th tile; the ring position of its first k tile (the producer counts the same way).
        const int q = (u - unit0) / unitStep;
        int it = q * kTiles;
        // The epilogue's column scales, bias and row scales, loaded now into registers so that
        // their latency passes under the main loop (the asm barriers keep the loads here); they
        // go to shared memory after it.
        float sbR[(BN + 127) / 128], biR[(BN + 127) / 128], saR[HALVES][2];
        #pragma unroll
        for (int j = 0; j < (BN + 127) / 128; j++) {
            const int i = t + 128 * j, col = n0 + i;
#if OPS == 2
            sbR[j] = 1.0f;
#else
            sbR[j] = i < BN && col < N ? sb[col] : 0.0f;
#endif
            biR[j] = bias && i < BN && col < N ? h2f(bias[col]) : 0.0f;
        }
        #pragma unroll
        for (int h = 0; h < HALVES; h++) {
#if OPS == 2
            saR[h][0] = saR[h][1] = 1.0f;
#else
            const int r0 = m0 + 64 * h + (t >> 5) * 16 + ((t & 31) >> 2);
            saR[h][0] = r0 < M ? sa[r0] : 0.0f;
            saR[h][1] = r0 + 8 < M ? sa[r0 + 8] : 0.0f;
#endif
        }
        acc_t d[HALVES][NACC];
#if PROMOTE
        float total[HALVES][NACC];
        #pragma unroll
        for (int i = 0; i < NACC; i++) { total[0][i] = 0.0f; d[0][i] = 0.0f; }
#else
        #pragma unroll
        for (int h = 0; h < HALVES; h++)
            #pragma unroll
            for (int i = 0; i < NACC; i++) d[h][i] = 0;
#endif
#if PINGPONG
        // Group c's j-th tile (q = c + 2j) waits for the other group's arrival after tile q - 1:
        // turn[1]'s phase j, turn[0]'s phase j - 1 (group 0's first tile waits for nothing).
        if (q > 0) mbar_wait(turn + 8 * c, ((q >> 1) - (c == 0)) & 1);
#endif
        for (int kt = 0; kt < kTiles; kt++, it++) {
            const int s = SLOT(it);
            mbar_wait(full + 8 * s, (it / STAGES) & 1);
            const u32 a = sA + s * BM * BKB + (PINGPONG ? 0 : c * 64 * BKB), b = sB + s * BN * BKB;
            wgmma_fence();
            #pragma unroll
            for (int kk = 0; kk < 4; kk++) {
                // Each k step is 32 bytes into the 128-byte swizzled rows; half h is rows 64h….
                #pragma unroll
                for (int h = 0; h < HALVES; h++)
                    wgmma_tile(d[h], smem_desc(a + h * 64 * BKB + 32 * kk), smem_desc(b + 32 * kk), PROMOTE ? kk > 0 : 1);
            }
            wgmma_commit();
#if PROMOTE
            wgmma_wait0();
            if (t == 0) release_stage(empty + 8 * s);
            #pragma unroll
            for (int i = 0; i < NACC; i++) total[0][i] += d[0][i];
#else
            // Keep this k tile's wgmma group in flight; release the stage of the previous one.
            wgmma_wait1();
            if (t == 0 && kt > 0) release_stage(empty + 8 * SLOT(it - 1));
#endif
        }
#if PINGPONG
        if (t == 0) mbar_arrive(turn + 8 * (1 - c));   // every wgmma of this tile is issued: the other group's turn
#endif
#if !PROMOTE
        wgmma_wait0();
        if (t == 0 && kTiles > 0) release_stage(empty + 8 * SLOT(it - 1));
#endif
        // Every thread of the group passed the previous epilogue's last barrier, so the previous
        // tile's reads of sbS / biasS are done.
        #pragma unroll
        for (int j = 0; j < (BN + 127) / 128; j++) {
            const int i = t + 128 * j;
            if (i < BN) { sbS[i] = sbR[j]; biasS[i] = biR[j]; }
        }
#if TMA_STORE
        if (t == 0) tma_store_wait<1>();      // the previous tile's stores have read the slots
#endif
        consumer_sync(c);                     // sbS / biasS written by every thread of the group
        // Accumulator layout (per warp 16 rows): register 4j + {0, 1, 2, 3} holds
        // (row, col), (row, col + 1), (row + 8, col), (row + 8, col + 1), row = lane / 4,
        // col = 8j + 2·(lane % 4). The epilogue goes in rounds of 64 rows × 64 columns: values →
        // fp16 pairs into this group's staging tile (16-byte chunks XOR-swizzled by row), then
        // 16-byte stores of whole row segments (direct 4-byte stores left 16-byte holes per
        // 32-byte sector and made the epilogue cost as much as 15 k tiles).
#if LN_FUSE
        // Add + layernorm (+ codes), per 64-row half: v = dequant(acc) + bias + R in registers; the
        // row's mean and M2 from this block's columns, exchanged and combined (Chan: M2 = Σ M2_p +
        // BN·Σ (mean_p − mean)², equal counts); Y = (v − mean)·rstd·γ + β; with codes, |Y|'s row
        // maximum exchanged likewise; then Y (fp16) and the codes through the staging slot.
        #pragma unroll
        for (int h = 0; h < HALVES; h++) {
#if PROMOTE
            const float *acc = total[h];
#else
            const acc_t *acc = d[h];
#endif
            const int mh = m0 + 64 * h, rloc = warp * 16 + (lane >> 2);
            const int gr0 = mh + rloc;
            float v[NACC];
            #pragma unroll
            for (int j = 0; j < BN / 8; j++) {
                const int i = 8 * j + 2 * (lane & 3);
                const float2 bb = *(const float2 *)(biasS + i);
#if OPS != 2
                const float2 ss = *(const float2 *)(sbS + i);
#endif
                #pragma unroll
                for (int e = 0; e < 2; e++) {
                    const int gr = gr0 + 8 * e;
                    const u32 rr = !(LN_ABLATE & 2) && gr < M ? *(const u32 *)(R + (long)gr * ldr + n0 + i) : 0u;
#if OPS == 2
                    v[4 * j + 2 * e] = (float)acc[4 * j + 2 * e] + bb.x;
                    v[4 * j + 2 * e + 1] = (float)acc[4 * j + 2 * e + 1] + bb.y;
#else
                    const float sr = saR[h][e];
                    v[4 * j + 2 * e] = dequant((float)acc[4 * j + 2 * e], sr, ss.x, bb.x);
                    v[4 * j + 2 * e + 1] = dequant((float)acc[4 * j + 2 * e + 1], sr, ss.y, bb.y);
#endif
                    v[4 * j + 2 * e] += h2f((h16)(rr & 0xFFFF));
                    v[4 * j + 2 * e + 1] += h2f((h16)(rr >> 16));
                }
            }
#if !(LN_ABLATE & 8)
            float mean[2], rstd[2];
            {
                float s0 = 0.0f, s1 = 0.0f;
                #pragma unroll
                for (int j = 0; j < BN / 8; j++) { s0 += v[4 * j] + v[4 * j + 1]; s1 += v[4 * j + 2] + v[4 * j + 3]; }
                const float l0 = quad_sum(s0) * (1.0f / BN), l1 = quad_sum(s1) * (1.0f / BN);
                float q0 = 0.0f, q1 = 0.0f;
                #pragma unroll
                for (int j = 0; j < BN / 8; j++) {
                    const float a = v[4 * j] - l0, b = v[4 * j + 1] - l0, e = v[4 * j + 2] - l1, f = v[4 * j + 3] - l1;
                    q0 += a * a + b * b; q1 += e * e + f * f;
                }
                q0 = quad_sum(q0); q1 = quad_sum(q1);
#if LN_ABLATE & 1
                mean[0] = l0; mean[1] = l1;
                rstd[0] = rsqrtf(q0 * (1.0f / BN) + eps); rstd[1] = rsqrtf(q1 * (1.0f / BN) + eps);
#else
                const u32 slot = xs + (xc & 1) * CLUSTER * 512;
                xchg(slot, xb + 8 * (xc & 1), (xc >> 1) & 1, rank, rloc, t, make_float2(l0, q0), make_float2(l1, q1));
                xc++;
                #pragma unroll
                for (int e = 0; e < 2; e++) {
                    float mt = 0.0f;
                    #pragma unroll
                    for (int p = 0; p < CLUSTER; p++) mt += xchg_read(slot, p, rloc + 8 * e).x;
                    mt *= 1.0f / CLUSTER;
                    float m2 = 0.0f;
                    #pragma unroll
                    for (int p = 0; p < CLUSTER; p++) {
                        const float2 st = xchg_read(slot, p, rloc + 8 * e);
                        const float dm = st.x - mt;
                        m2 += st.y + (float)BN * dm * dm;
                    }
                    mean[e] = mt;
                    rstd[e] = rsqrtf(m2 * (1.0f / (CLUSTER * BN)) + eps);
                }
#endif
            }
            float amax[2] = {0.0f, 0.0f};
            #pragma unroll
            for (int j = 0; j < BN / 8; j++) {
                const int i = 8 * j + 2 * (lane & 3);
                const float2 g = *(const float2 *)(gS + i), b = *(const float2 *)(btS + i);
                #pragma unroll
                for (int e = 0; e < 2; e++) {
                    float &y0 = v[4 * j + 2 * e], &y1 = v[4 * j + 2 * e + 1];
                    y0 = (y0 - mean[e]) * rstd[e] * g.x + b.x;
                    y1 = (y1 - mean[e]) * rstd[e] * g.y + b.y;
                    amax[e] = fmaxf(amax[e], fmaxf(fabsf(y0), fabsf(y1)));
                }
            }
#if LN_QMODE
            float qs[2], qinv[2];
            {
                const float a0 = quad_max(amax[0]), a1 = quad_max(amax[1]);
#if !(LN_ABLATE & 1)
                const u32 slot = xs + (xc & 1) * CLUSTER * 512;
                xchg(slot, xb + 8 * (xc & 1), (xc >> 1) & 1, rank, rloc, t, make_float2(a0, 0.0f), make_float2(a1, 0.0f));
                xc++;
#endif
                #pragma unroll
                for (int e = 0; e < 2; e++) {
#if LN_ABLATE & 1
                    const float am = e ? a1 : a0;
#else
                    float am = 0.0f;
                    #pragma unroll
                    for (int p = 0; p < CLUSTER; p++) am = fmaxf(am, xchg_read(slot, p, rloc + 8 * e).x);
#endif
                    // The row kernels' arithmetic: s = absmax / qmax, codes from v / s.
                    qs[e] = am / (LN_QMODE == 1 ? 127.0f : 448.0f);
                    qinv[e] = __frcp_rn(qs[e]);
                    if (rank == 0 && (lane & 3) == 0 && gr0 + 8 * e < M) qscale[gr0 + 8 * e] = qs[e];
                }
            }
#endif
#endif
            #pragma unroll
            for (int rd = 0; rd < BN / 64; rd++) {
                #pragma unroll
                for (int jj = 0; jj < 8; jj++) {
                    const int j = 8 * rd + jj, cc = 8 * jj + 2 * (lane & 3);
                    #pragma unroll
                    for (int e = 0; e < 2; e++) {
                        const int row = warp * 16 + (lane >> 2) + 8 * e;
                        asm volatile("st.shared.u32 [%0], %1;\n" :: "r"(stage + stage_off_rb<128>(row, 2 * cc)),
                                     "r"(pack_h2(v[4 * j + 2 * e], v[4 * j + 2 * e + 1])) : "memory");
                    }
                }
                consumer_sync(c);
                if (!(LN_ABLATE & 4)) store_piece<2>(stage, t, (u8 *)C, ldc, mh, n0 + 64 * rd, M, N, vecY);
                consumer_sync(c);
#if LN_QMODE && !(LN_ABLATE & 8)
                #pragma unroll
                for (int jj = 0; jj < 8; jj++) {
                    const int j = 8 * rd + jj, cc = 8 * jj + 2 * (lane & 3);
                    #pragma unroll
                    for (int e = 0; e < 2; e++) {
                        const int row = warp * 16 + (lane >> 2) + 8 * e;
                        const u32 w = code_pair(v[4 * j + 2 * e], v[4 * j + 2 * e + 1], qs[e], qinv[e]);
                        asm volatile("st.shared.u16 [%0], %1;\n" :: "r"(stage + stage_off_rb<64>(row, cc)), "h"((unsigned short)w) : "memory");
                    }
                }
                consumer_sync(c);
                if (!(LN_ABLATE & 4)) store_piece<1>(stage, t, Q, ldq, mh, n0 + 64 * rd, M, N, vecQ);
                consumer_sync(c);
#endif
            }
        }
#else
        // (The epilogue's text up to its end mark is instantiated twice, for GELU on and off: see
        // `wgmmaSource`. A run-time `act` test inside the unrolled rounds kept the compiler from
        // overlapping one pair's shared loads and math with the next pair's; the profile put the
        // tensor cores at 39 % busy at K = 768, the epilogue taking most of each tile.)
        // <epilogue>
        #pragma unroll
        for (int h = 0; h < HALVES; h++) {
#if PROMOTE
            const float *acc = total[h];
#else
            const acc_t *acc = d[h];
#endif
            const int mh = m0 + 64 * h;
#if OPS != 2
            const float sa0 = saR[h][0], sa1 = saR[h][1];
#endif
            #pragma unroll
            for (int rd = 0; rd < BN / 64; rd++) {
                const int piece = h * (BN / 64) + rd;
                const u32 slot = stage + (TMA_STORE ? (piece % SLOTS) * 8192 : 0);
#if TMA_STORE
                if (SLOTS < PIECES && piece >= SLOTS) {   // the slot's previous store (piece − SLOTS) has read it
                    if (t == 0) tma_store_wait_read_all_but<SLOTS - 1>();
                    consumer_sync(c);
                }
#endif
                #pragma unroll
                for (int jj = 0; jj < 8; jj++) {
                    const int j = 8 * rd + jj, i = 8 * j + 2 * (lane & 3);
                    const float2 bb = *(const float2 *)(biasS + i);
#if OPS != 2
                    const float2 ss = *(const float2 *)(sbS + i);
#endif
                    #pragma unroll
                    for (int e = 0; e < 2; e++) {
#if OPS == 2
                        float v0 = (float)acc[4 * j + 2 * e] + bb.x, v1 = (float)acc[4 * j + 2 * e + 1] + bb.y;
#else
                        const float sr = e ? sa1 : sa0;
                        float v0 = dequant((float)acc[4 * j + 2 * e], sr, ss.x, bb.x);
                        float v1 = dequant((float)acc[4 * j + 2 * e + 1], sr, ss.y, bb.y);
#endif
                        if (EPI_ACT) { v0 = EPI_GELU(v0); v1 = EPI_GELU(v1); }
                        const int row = warp * 16 + (lane >> 2) + 8 * e, cc = 8 * jj + 2 * (lane & 3);
                        const u32 addr = slot + stage_off(row, cc * OUT_BYTES);
#if OUT_E4M3
                        asm volatile("st.shared.u16 [%0], %1;\n" :: "r"(addr), "h"((unsigned short)e4m3x2(v0, v1)) : "memory");
#else
                        asm volatile("st.shared.u32 [%0], %1;\n" :: "r"(addr), "r"(pack_h2(v0, v1)) : "memory");
#endif
                    }
                }
#if TMA_STORE
                fence_async_smem();
                consumer_sync(c);
                if (t == 0 && n0 + 64 * rd < N) tma_store(&tmC, slot, OUT_BYTES * (n0 + 64 * rd), mh);
#else
                consumer_sync(c);
                store_piece<OUT_BYTES>(slot, t, (u8 *)C, ldc, mh, n0 + 64 * rd, M, N, vec);
                consumer_sync(c);             // the staging tile is free for the next round
#endif
            }
        }
        // </epilogue>
#endif
    }
#if TMA_STORE
    if (t == 0) tma_store_wait<0>();          // shared memory stays until the last store is done
#endif
    }
#if LN_FUSE
    cluster_sync_all();                       // no block leaves while the others may still reach its shared memory
#endif
}
"""#
}
