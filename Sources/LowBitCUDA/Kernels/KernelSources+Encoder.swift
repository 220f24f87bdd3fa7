// CUDA C source, compiled at run time by NVRTC (see KernelCompiler). Edit the text here.
extension KernelSources {
    /// The FP16 tensor-core GEMM: `gemmSource` with `AB_F16` (m16n8k16, f32 accumulators).
    public static func gemmF16(_ config: GemmConfig) -> Unit {
        let o = ["-DBM=\(config.bm)", "-DBN=\(config.bn)", "-DBK=\(config.bk)", "-DWM=\(config.warpsM)",
                 "-DWN=\(config.warpsN)", "-DSTAGES=\(config.stages)", "-DMINB=\(config.minBlocks)", "-DAB_F16"]
            + (config.ordered ? ["-DMMA_ORDERED"] : [])
        return Unit(name: "gemm-f16-\(config.name)", source: commonSource + gemmSource, options: o)
    }

    /// Kernels the encoder needs beside the row kernels (which it re-uses from `normSource`).
    public static func encoder() -> Unit { Unit(name: "encoder", source: commonSource + normSource + encoderSource, options: []) }

    static let encoderSource = #"""
// Token-wise quantization of an fp16 matrix (the attention output before its projection):
// x: [rows, n] fp16 (ldx) → q: [rows, n] (ldq) INT8 / FP8 e4m3 codes, scale: [rows] f32, with the
// rules of quantize_row (see the row kernels). One block per row, the row in shared memory.
template <int QMODE>
__device__ void quant_rows(const h16 *x, int ldx, int n, u8 *q, int ldq, float *scale) {
    extern __shared__ float buf[];
    __shared__ float red[32];
    const long row = blockIdx.x;
    if (vec8(x + row * ldx, n, 2)) {
        for (int c = threadIdx.x; c < n / 8; c += blockDim.x) load_h8(x + row * ldx + 8 * c, buf + 8 * c);
    } else {
        for (int i = threadIdx.x; i < n; i += blockDim.x) buf[i] = h2f(x[row * ldx + i]);
    }
    __syncthreads();
    quantize_row<QMODE>(buf, n, q + row * ldq, scale + row, red);
}
extern "C" __global__ void lb_quant_rows_q8(const h16 *x, int ldx, int n, u8 *q, int ldq, float *scale) {
    quant_rows<1>(x, ldx, n, q, ldq, scale);
}
// INT32 GEMM output (cuBLASLt's INT8 path) → C = fp16(acc·sa[m]·sb[n] + bias[n]) (+ GELU), the
// epilogue `lb_gemm8` fuses. acc: [m, n] (ldacc); c: [m, n] (ldc); bias may be null. Four
// columns per thread (16-byte loads) when n, ldacc and ldc are multiples of 4, else one.
extern "C" __global__ void lb_dequant_i32(const int *acc, int ldacc, const float *sa, const float *sb, const h16 *bias,
                                          h16 *c, int ldc, int m, int n, int gelu) {
    const int vec = (n % 4 == 0 && ldacc % 4 == 0 && ldc % 4 == 0) ? 4 : 1;
    const int per = n / vec;
    const long total = (long)m * per;
    for (long i = (long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long)gridDim.x * blockDim.x) {
        const int r = (int)(i / per), c0 = (int)(i % per) * vec;
        const float s = sa[r];
        if (vec == 4) {
            const int4 a = *(const int4 *)(acc + (long)r * ldacc + c0);
            const int av[4] = {a.x, a.y, a.z, a.w};
            float v[4];
            for (int j = 0; j < 4; j++) {
                v[j] = dequant((float)av[j], s, sb[c0 + j], bias ? h2f(bias[c0 + j]) : 0.0f);
                if (gelu) v[j] = gelu_erf(v[j]);
            }
            uint2 o;
            o.x = pack_h2(v[0], v[1]);
            o.y = pack_h2(v[2], v[3]);
            *(uint2 *)(c + (long)r * ldc + c0) = o;
        } else {
            float v = dequant((float)acc[(long)r * ldacc + c0], s, sb[c0], bias ? h2f(bias[c0]) : 0.0f);
            if (gelu) v = gelu_erf(v);
            c[(long)r * ldc + c0] = f2h(v);
        }
    }
}
extern "C" __global__ void lb_quant_rows_fp8(const h16 *x, int ldx, int n, u8 *q, int ldq, float *scale) {
    quant_rows<2>(x, ldx, n, q, ldq, scale);
}
"""#
}
