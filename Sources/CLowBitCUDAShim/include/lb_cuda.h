// Hand-written subset of the CUDA driver API and NVRTC, loaded at run time with dlopen.
//
// No CUDA header is needed to build LowBit: the types below are the ABI of cuda.h / nvrtc.h
// (CUDA 12 and 13) for the calls LowBit makes, and every entry point is a function pointer in
// one table filled by `lb_cuda_load`. A machine without CUDA builds and runs the package; the
// loader then reports which library was missing.
#ifndef LB_CUDA_H
#define LB_CUDA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- driver API types (cuda.h) ----
typedef int lb_CUresult;                     // CUDA_SUCCESS = 0
typedef int lb_CUdevice;
typedef unsigned long long lb_CUdeviceptr;   // 64-bit device address
typedef struct lb_CUctx_st *lb_CUcontext;
typedef struct lb_CUmod_st *lb_CUmodule;
typedef struct lb_CUfunc_st *lb_CUfunction;
typedef struct lb_CUstream_st *lb_CUstream;
typedef struct lb_CUevent_st *lb_CUevent;
typedef struct lb_CUgraph_st *lb_CUgraph;
typedef struct lb_CUgraphExec_st *lb_CUgraphExec;

#define LB_CU_DEVICE_ATTRIBUTE_CLOCK_RATE 13
#define LB_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT 16
#define LB_CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE 38
#define LB_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define LB_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76
#define LB_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN 97
#define LB_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES 8
#define LB_CU_STREAM_NON_BLOCKING 1
#define LB_CU_EVENT_DEFAULT 0
#define LB_CU_STREAM_CAPTURE_MODE_THREAD_LOCAL 1
#define LB_CU_STREAM_CAPTURE_MODE_RELAXED 2

/// CUtensorMap: 128 opaque bytes, passed to kernels by value. cuda.h aligns it to 64 bytes;
/// callers keep it in 64-byte-aligned memory (the attribute is left out so that Swift imports it).
typedef struct lb_CUtensorMap { unsigned long long opaque[16]; } lb_CUtensorMap;
#define LB_CU_TENSOR_MAP_DATA_TYPE_UINT8 0
#define LB_CU_TENSOR_MAP_INTERLEAVE_NONE 0
#define LB_CU_TENSOR_MAP_SWIZZLE_64B 2
#define LB_CU_TENSOR_MAP_SWIZZLE_128B 3
#define LB_CU_TENSOR_MAP_L2_PROMOTION_L2_256B 3
#define LB_CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE 0
// ---- NVRTC types (nvrtc.h) ----
typedef int lb_nvrtcResult;                  // NVRTC_SUCCESS = 0
typedef struct lb_nvrtcProgram_st *lb_nvrtcProgram;

/// CUlaunchConfig (cuda.h, CUDA 12+), as the occupancy query reads it.
typedef struct lb_CUlaunchConfig {
    unsigned int gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
    lb_CUstream hStream;
    void *attrs;
    unsigned int numAttrs;
} lb_CUlaunchConfig;

/// Every driver and NVRTC entry point LowBit uses, by the versioned symbol name that the
/// CUDA 12/13 headers map the plain name to (cuMemAlloc → cuMemAlloc_v2, …).
typedef struct lb_cuda_api {
    // driver
    lb_CUresult (*cuInit)(unsigned int flags);
    lb_CUresult (*cuDriverGetVersion)(int *version);
    lb_CUresult (*cuGetErrorName)(lb_CUresult error, const char **str);
    lb_CUresult (*cuGetErrorString)(lb_CUresult error, const char **str);
    lb_CUresult (*cuDeviceGetCount)(int *count);
    lb_CUresult (*cuDeviceGet)(lb_CUdevice *device, int ordinal);
    lb_CUresult (*cuDeviceGetName)(char *name, int len, lb_CUdevice dev);
    lb_CUresult (*cuDeviceGetAttribute)(int *value, int attrib, lb_CUdevice dev);
    lb_CUresult (*cuDeviceTotalMem)(size_t *bytes, lb_CUdevice dev);                  // _v2
    lb_CUresult (*cuDevicePrimaryCtxRetain)(lb_CUcontext *ctx, lb_CUdevice dev);
    lb_CUresult (*cuDevicePrimaryCtxRelease)(lb_CUdevice dev);                        // _v2
    lb_CUresult (*cuCtxSetCurrent)(lb_CUcontext ctx);
    lb_CUresult (*cuCtxSynchronize)(void);
    lb_CUresult (*cuMemAlloc)(lb_CUdeviceptr *dptr, size_t bytes);                    // _v2
    lb_CUresult (*cuMemFree)(lb_CUdeviceptr dptr);                                    // _v2
    lb_CUresult (*cuMemGetInfo)(size_t *free, size_t *total);                         // _v2
    lb_CUresult (*cuMemcpyHtoD)(lb_CUdeviceptr dst, const void *src, size_t bytes);   // _v2
    lb_CUresult (*cuMemcpyDtoH)(void *dst, lb_CUdeviceptr src, size_t bytes);         // _v2
    lb_CUresult (*cuMemcpyHtoDAsync)(lb_CUdeviceptr dst, const void *src, size_t bytes, lb_CUstream s); // _v2
    lb_CUresult (*cuMemcpyDtoHAsync)(void *dst, lb_CUdeviceptr src, size_t bytes, lb_CUstream s);       // _v2
    lb_CUresult (*cuMemcpyDtoDAsync)(lb_CUdeviceptr dst, lb_CUdeviceptr src, size_t bytes, lb_CUstream s); // _v2
    lb_CUresult (*cuMemsetD8Async)(lb_CUdeviceptr dst, unsigned char value, size_t count, lb_CUstream s);
    lb_CUresult (*cuModuleLoadData)(lb_CUmodule *module, const void *image);
    lb_CUresult (*cuModuleUnload)(lb_CUmodule module);
    lb_CUresult (*cuModuleGetFunction)(lb_CUfunction *fn, lb_CUmodule module, const char *name);
    lb_CUresult (*cuFuncSetAttribute)(lb_CUfunction fn, int attrib, int value);
    lb_CUresult (*cuLaunchKernel)(lb_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                                  unsigned int bx, unsigned int by, unsigned int bz,
                                  unsigned int sharedBytes, lb_CUstream s, void **params, void **extra);
    lb_CUresult (*cuStreamCreate)(lb_CUstream *s, unsigned int flags);
    lb_CUresult (*cuStreamDestroy)(lb_CUstream s);                                    // _v2
    lb_CUresult (*cuStreamSynchronize)(lb_CUstream s);
    lb_CUresult (*cuEventCreate)(lb_CUevent *e, unsigned int flags);
    lb_CUresult (*cuEventDestroy)(lb_CUevent e);                                      // _v2
    lb_CUresult (*cuEventRecord)(lb_CUevent e, lb_CUstream s);
    lb_CUresult (*cuEventSynchronize)(lb_CUevent e);
    lb_CUresult (*cuEventElapsedTime)(float *ms, lb_CUevent start, lb_CUevent end);   // _v2 on CUDA 13
    lb_CUresult (*cuStreamBeginCapture)(lb_CUstream s, int mode);                     // _v2
    lb_CUresult (*cuStreamEndCapture)(lb_CUstream s, lb_CUgraph *graph);
    lb_CUresult (*cuGraphInstantiateWithFlags)(lb_CUgraphExec *exec, lb_CUgraph graph, unsigned long long flags);
    lb_CUresult (*cuGraphLaunch)(lb_CUgraphExec exec, lb_CUstream s);
    lb_CUresult (*cuGraphExecDestroy)(lb_CUgraphExec exec);
    lb_CUresult (*cuGraphDestroy)(lb_CUgraph graph);
    /// Optional (CUDA 12+, NULL where the driver lacks it): TMA descriptors for sm_90 kernels.
    lb_CUresult (*cuTensorMapEncodeTiled)(lb_CUtensorMap *map, int dataType, unsigned int rank, void *globalAddress,
                                          const unsigned long long *globalDim, const unsigned long long *globalStrides,
                                          const unsigned int *boxDim, const unsigned int *elementStrides,
                                          int interleave, int swizzle, int l2Promotion, int oobFill);
    /// Optional (CUDA 12+): how many clusters of a kernel with compile-time cluster dimensions
    /// can run at once for this launch shape (`config`: an lb_CUlaunchConfig without attributes).
    lb_CUresult (*cuOccupancyMaxActiveClusters)(int *numClusters, lb_CUfunction fn, const struct lb_CUlaunchConfig *config);
    // NVRTC
    const char *(*nvrtcGetErrorString)(lb_nvrtcResult r);
    lb_nvrtcResult (*nvrtcVersion)(int *major, int *minor);
    lb_nvrtcResult (*nvrtcCreateProgram)(lb_nvrtcProgram *prog, const char *src, const char *name,
                                         int numHeaders, const char *const *headers, const char *const *includeNames);
    lb_nvrtcResult (*nvrtcDestroyProgram)(lb_nvrtcProgram *prog);
    lb_nvrtcResult (*nvrtcCompileProgram)(lb_nvrtcProgram prog, int numOptions, const char *const *options);
    lb_nvrtcResult (*nvrtcGetProgramLogSize)(lb_nvrtcProgram prog, size_t *size);
    lb_nvrtcResult (*nvrtcGetProgramLog)(lb_nvrtcProgram prog, char *log);
    lb_nvrtcResult (*nvrtcGetCUBINSize)(lb_nvrtcProgram prog, size_t *size);
    lb_nvrtcResult (*nvrtcGetCUBIN)(lb_nvrtcProgram prog, char *cubin);
} lb_cuda_api;

/// Loads the NVRTC library into the table: `path` alone if not NULL, else $LOWBIT_NVRTC, then the
/// usual names and CUDA install folders. A loaded library stays loaded (later calls return 0). It also preloads
/// libnvrtc-builtins from the same folder, so NVRTC finds it without LD_LIBRARY_PATH.
/// Returns 0 on success; on failure writes what was tried into `err`.
int lb_nvrtc_load(const char *path, char *err, size_t errLength);

/// Loads the driver library into the table: `path` alone if not NULL, else $LOWBIT_CUDA_DRIVER,
/// libcuda.so.1, libcuda.so. A loaded library stays loaded (later calls return 0).
/// Returns 0 on success, else writes the reason (library or symbol missing) into `err`.
int lb_cuda_driver_load(const char *path, char *err, size_t errLength);

/// The table; entries stay NULL until the matching loader succeeded.
const lb_cuda_api *lb_cuda_api_table(void);


// ---- cuBLASLt (cublasLt.h, CUDA 12/13) ----
typedef int lb_cublasStatus;                     // CUBLAS_STATUS_SUCCESS = 0
typedef struct lb_cublasLtContext *lb_cublasLtHandle;
typedef void *lb_cublasLtMatmulDesc;             // opaque descriptors (pointers)
typedef void *lb_cublasLtMatrixLayout;
typedef void *lb_cublasLtMatmulPreference;
/// cublasLtMatmulAlgo_t: 8 × uint64 (semi-opaque, copied by value).
typedef struct { unsigned long long data[8]; } lb_cublasLtMatmulAlgo;
/// cublasLtMatmulHeuristicResult_t.
typedef struct {
    lb_cublasLtMatmulAlgo algo;
    size_t workspaceSize;
    lb_cublasStatus state;
    float wavesCount;
    int reserved[4];
} lb_cublasLtMatmulHeuristicResult;

// cudaDataType_t (library_types.h)
#define LB_CUDA_R_32F 0
#define LB_CUDA_R_16F 2
#define LB_CUDA_R_8I 3
#define LB_CUDA_R_32I 10
#define LB_CUDA_R_16BF 14
#define LB_CUDA_R_8F_E4M3 28
// cublasComputeType_t
#define LB_CUBLAS_COMPUTE_32F 68
#define LB_CUBLAS_COMPUTE_32I 72
// cublasOperation_t
#define LB_CUBLAS_OP_N 0
#define LB_CUBLAS_OP_T 1
// cublasLtMatmulDescAttributes_t
#define LB_CUBLASLT_MATMUL_DESC_TRANSA 3
#define LB_CUBLASLT_MATMUL_DESC_TRANSB 4
#define LB_CUBLASLT_MATMUL_DESC_EPILOGUE 7
#define LB_CUBLASLT_MATMUL_DESC_BIAS_POINTER 8
#define LB_CUBLASLT_MATMUL_DESC_A_SCALE_POINTER 17
#define LB_CUBLASLT_MATMUL_DESC_B_SCALE_POINTER 18
#define LB_CUBLASLT_MATMUL_DESC_FAST_ACCUM 25
#define LB_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE 26
#define LB_CUBLASLT_MATMUL_DESC_A_SCALE_MODE 31
#define LB_CUBLASLT_MATMUL_DESC_B_SCALE_MODE 32
// cublasLtMatmulMatrixScale_t
#define LB_CUBLASLT_MATMUL_MATRIX_SCALE_SCALAR_32F 0
#define LB_CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F 3
// cublasLtEpilogue_t
#define LB_CUBLASLT_EPILOGUE_DEFAULT 1
#define LB_CUBLASLT_EPILOGUE_BIAS 4
// cublasLtMatmulPreferenceAttributes_t
#define LB_CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES 1

/// The cuBLASLt entry points LowBit uses (GEMMs on the vendor's tuned kernels, chosen per shape).
typedef struct lb_cublaslt_api {
    lb_cublasStatus (*cublasLtCreate)(lb_cublasLtHandle *handle);
    lb_cublasStatus (*cublasLtDestroy)(lb_cublasLtHandle handle);
    const char *(*cublasLtGetStatusName)(lb_cublasStatus status);
    const char *(*cublasLtGetStatusString)(lb_cublasStatus status);
    size_t (*cublasLtGetVersion)(void);
    lb_cublasStatus (*cublasLtMatmulDescCreate)(lb_cublasLtMatmulDesc *desc, int computeType, int scaleType);
    lb_cublasStatus (*cublasLtMatmulDescDestroy)(lb_cublasLtMatmulDesc desc);
    lb_cublasStatus (*cublasLtMatmulDescSetAttribute)(lb_cublasLtMatmulDesc desc, int attr, const void *buf, size_t size);
    lb_cublasStatus (*cublasLtMatrixLayoutCreate)(lb_cublasLtMatrixLayout *layout, int type, unsigned long long rows,
                                                  unsigned long long cols, long long ld);
    lb_cublasStatus (*cublasLtMatrixLayoutDestroy)(lb_cublasLtMatrixLayout layout);
    lb_cublasStatus (*cublasLtMatmulPreferenceCreate)(lb_cublasLtMatmulPreference *pref);
    lb_cublasStatus (*cublasLtMatmulPreferenceDestroy)(lb_cublasLtMatmulPreference pref);
    lb_cublasStatus (*cublasLtMatmulPreferenceSetAttribute)(lb_cublasLtMatmulPreference pref, int attr, const void *buf, size_t size);
    lb_cublasStatus (*cublasLtMatmulAlgoGetHeuristic)(lb_cublasLtHandle handle, lb_cublasLtMatmulDesc desc,
                                                      lb_cublasLtMatrixLayout a, lb_cublasLtMatrixLayout b,
                                                      lb_cublasLtMatrixLayout c, lb_cublasLtMatrixLayout d,
                                                      lb_cublasLtMatmulPreference pref, int requested,
                                                      lb_cublasLtMatmulHeuristicResult *results, int *returned);
    lb_cublasStatus (*cublasLtMatmul)(lb_cublasLtHandle handle, lb_cublasLtMatmulDesc desc, const void *alpha,
                                      const void *a, lb_cublasLtMatrixLayout aDesc, const void *b, lb_cublasLtMatrixLayout bDesc,
                                      const void *beta, const void *c, lb_cublasLtMatrixLayout cDesc,
                                      void *d, lb_cublasLtMatrixLayout dDesc, const lb_cublasLtMatmulAlgo *algo,
                                      void *workspace, size_t workspaceBytes, lb_CUstream stream);
} lb_cublaslt_api;

/// Loads cuBLASLt: `path` alone if not NULL, else $LOWBIT_CUBLASLT, libcublasLt.so.13/.12, the
/// CUDA install folders. Returns 0 on success, else writes what was tried into `err`.
int lb_cublaslt_load(const char *path, char *err, size_t errLength);

/// The cuBLASLt table; entries stay NULL until `lb_cublaslt_load` succeeded.
const lb_cublaslt_api *lb_cublaslt_api_table(void);

#ifdef __cplusplus
}
#endif
#endif
