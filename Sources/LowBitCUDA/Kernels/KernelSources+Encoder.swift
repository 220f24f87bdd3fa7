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
    for (int i = threadIdx.x; i < n; i += blockDim.x) buf[i] = h2f(x[row * ldx + i]);
    __syncthreads();
    quantize_row<QMODE>(buf, n, q + row * ldq, scale + row, red);
}
extern "C" __global__ void lb_quant_rows_q8(const h16 *x, int ldx, int n, u8 *q, int ldq, float *scale) {
    quant_rows<1>(x, ldx, n, q, ldq, scale);
}
extern "C" __global__ void lb_quant_rows_fp8(const h16 *x, int ldx, int n, u8 *q, int ldq, float *scale) {
    quant_rows<2>(x, ldx, n, q, ldq, scale);
}
"""#
}
