// dlopen/dlsym loader for the CUDA driver and NVRTC (see include/lb_cuda.h).
#define _GNU_SOURCE
#include "lb_cuda.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lb_cuda_api api;

const lb_cuda_api *lb_cuda_api_table(void) { return &api; }

static void append(char *err, size_t n, const char *what) {
    if (!err || n == 0) return;
    size_t used = strlen(err);
    if (used + 1 >= n) return;
    snprintf(err + used, n - used, "%s%s", used ? "; " : "", what);
}

static void *open_first(const char *const *names, size_t count, char *err, size_t n) {
    for (size_t i = 0; i < count; i++) {
        if (!names[i] || !names[i][0]) continue;
        void *h = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
        if (h) return h;
        char line[512];
        const char *why = dlerror();
        snprintf(line, sizeof line, "%s", why ? why : names[i]);
        append(err, n, line);
    }
    return NULL;
}

// Looks up `name` (a versioned name first where given) and stores it; 0 if missing.
static int sym(void *lib, void **slot, const char *name, const char *fallback, char *err, size_t n) {
    void *p = dlsym(lib, name);
    if (!p && fallback) p = dlsym(lib, fallback);
    if (!p) {
        char line[160];
        snprintf(line, sizeof line, "missing symbol %s", name);
        append(err, n, line);
        return 0;
    }
    *slot = p;
    return 1;
}

#define SYM(lib, field, name, fallback) ok &= sym(lib, (void **)&api.field, name, fallback, err, n)

int lb_cuda_driver_load(const char *path, char *err, size_t n) {
    if (err && n) err[0] = 0;
    if (api.cuInit) return 0;
    const char *names[] = {path, getenv("LOWBIT_CUDA_DRIVER"), "libcuda.so.1", "libcuda.so"};
    void *lib = open_first(names, path ? 1 : sizeof names / sizeof names[0], err, n);
    if (!lib) return 1;
    lb_cuda_api t = api;
    int ok = 1;
    SYM(lib, cuDriverGetVersion, "cuDriverGetVersion", NULL);
    SYM(lib, cuGetErrorName, "cuGetErrorName", NULL);
    SYM(lib, cuGetErrorString, "cuGetErrorString", NULL);
    SYM(lib, cuDeviceGetCount, "cuDeviceGetCount", NULL);
    SYM(lib, cuDeviceGet, "cuDeviceGet", NULL);
    SYM(lib, cuDeviceGetName, "cuDeviceGetName", NULL);
    SYM(lib, cuDeviceGetAttribute, "cuDeviceGetAttribute", NULL);
    SYM(lib, cuDeviceTotalMem, "cuDeviceTotalMem_v2", NULL);
    SYM(lib, cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", NULL);
    SYM(lib, cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
    SYM(lib, cuCtxSetCurrent, "cuCtxSetCurrent", NULL);
    SYM(lib, cuCtxSynchronize, "cuCtxSynchronize", NULL);
    SYM(lib, cuMemAlloc, "cuMemAlloc_v2", NULL);
    SYM(lib, cuMemFree, "cuMemFree_v2", NULL);
    SYM(lib, cuMemGetInfo, "cuMemGetInfo_v2", NULL);
    SYM(lib, cuMemcpyHtoD, "cuMemcpyHtoD_v2", NULL);
    SYM(lib, cuMemcpyDtoH, "cuMemcpyDtoH_v2", NULL);
    SYM(lib, cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", NULL);
    SYM(lib, cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", NULL);
    SYM(lib, cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", NULL);
    SYM(lib, cuMemsetD8Async, "cuMemsetD8Async", NULL);
    SYM(lib, cuModuleLoadData, "cuModuleLoadData", NULL);
    SYM(lib, cuModuleUnload, "cuModuleUnload", NULL);
    SYM(lib, cuModuleGetFunction, "cuModuleGetFunction", NULL);
    SYM(lib, cuFuncSetAttribute, "cuFuncSetAttribute", NULL);
    SYM(lib, cuLaunchKernel, "cuLaunchKernel", NULL);
    SYM(lib, cuStreamCreate, "cuStreamCreate", NULL);
    SYM(lib, cuStreamDestroy, "cuStreamDestroy_v2", NULL);
    SYM(lib, cuStreamSynchronize, "cuStreamSynchronize", NULL);
    SYM(lib, cuEventCreate, "cuEventCreate", NULL);
    SYM(lib, cuEventDestroy, "cuEventDestroy_v2", NULL);
    SYM(lib, cuEventRecord, "cuEventRecord", NULL);
    SYM(lib, cuEventSynchronize, "cuEventSynchronize", NULL);
    SYM(lib, cuEventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime");
    SYM(lib, cuStreamBeginCapture, "cuStreamBeginCapture_v2", NULL);
    SYM(lib, cuStreamEndCapture, "cuStreamEndCapture", NULL);
    SYM(lib, cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags", NULL);
    SYM(lib, cuGraphLaunch, "cuGraphLaunch", NULL);
    SYM(lib, cuGraphExecDestroy, "cuGraphExecDestroy", NULL);
    SYM(lib, cuGraphDestroy, "cuGraphDestroy", NULL);
    *(void **)&api.cuTensorMapEncodeTiled = dlsym(lib, "cuTensorMapEncodeTiled");   // optional
    *(void **)&api.cuOccupancyMaxActiveClusters = dlsym(lib, "cuOccupancyMaxActiveClusters");   // optional
    // cuInit last: its presence marks the driver part of the table as complete.
    SYM(lib, cuInit, "cuInit", NULL);
    if (!ok) {
        memcpy(&api, &t, sizeof api);   // leave the table as it was
        return 2;
    }
    return 0;
}

int lb_nvrtc_load(const char *path, char *err, size_t n) {
    if (err && n) err[0] = 0;
    if (api.nvrtcCompileProgram) return 0;
    const char *names[] = {
        path, getenv("LOWBIT_NVRTC"), "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so",
        "/usr/local/cuda/lib64/libnvrtc.so",
        "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libnvrtc.so.13",
        "/usr/local/cuda/targets/x86_64-linux/lib/libnvrtc.so",
    };
    void *lib = open_first(names, path ? 1 : sizeof names / sizeof names[0], err, n);
    if (!lib) return 1;
    // NVRTC dlopens libnvrtc-builtins.so.<major>.<minor> by soname; preload it from the folder
    // libnvrtc came from, so a library outside the loader's search path still works.
    Dl_info info;
    void *anySym = dlsym(lib, "nvrtcVersion");
    if (anySym && dladdr(anySym, &info) && info.dli_fname) {
        int major = 0, minor = 0;
        lb_nvrtcResult (*version)(int *, int *) = (lb_nvrtcResult (*)(int *, int *))anySym;
        version(&major, &minor);
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", info.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = 0;
            char builtins[1200];
            snprintf(builtins, sizeof builtins, "%s/libnvrtc-builtins.so.%d.%d", dir, major, minor);
            if (!dlopen(builtins, RTLD_NOW | RTLD_GLOBAL)) {
                snprintf(builtins, sizeof builtins, "%s/libnvrtc-builtins.so", dir);
                (void)dlopen(builtins, RTLD_NOW | RTLD_GLOBAL);
            }
        }
    }
    lb_cuda_api t = api;
    if (err && n) err[0] = 0;
    int ok = 1;
    SYM(lib, nvrtcGetErrorString, "nvrtcGetErrorString", NULL);
    SYM(lib, nvrtcVersion, "nvrtcVersion", NULL);
    SYM(lib, nvrtcCreateProgram, "nvrtcCreateProgram", NULL);
    SYM(lib, nvrtcDestroyProgram, "nvrtcDestroyProgram", NULL);
    SYM(lib, nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize", NULL);
    SYM(lib, nvrtcGetProgramLog, "nvrtcGetProgramLog", NULL);
    SYM(lib, nvrtcGetCUBINSize, "nvrtcGetCUBINSize", NULL);
    SYM(lib, nvrtcGetCUBIN, "nvrtcGetCUBIN", NULL);
    SYM(lib, nvrtcCompileProgram, "nvrtcCompileProgram", NULL);
    if (!ok) {
        memcpy(&api, &t, sizeof api);
        return 2;
    }
    return 0;
}

static lb_cublaslt_api lt;

const lb_cublaslt_api *lb_cublaslt_api_table(void) { return &lt; }

#define LTSYM(lib, field, name) ok &= sym(lib, (void **)&lt.field, name, NULL, err, n)

int lb_cublaslt_load(const char *path, char *err, size_t n) {
    if (err && n) err[0] = 0;
    if (lt.cublasLtMatmul) return 0;
    const char *names[] = {
        path, getenv("LOWBIT_CUBLASLT"), "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so",
        "/usr/local/cuda/lib64/libcublasLt.so",
        "/usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublasLt.so.13",
        "/usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so",
    };
    void *lib = open_first(names, path ? 1 : sizeof names / sizeof names[0], err, n);
    if (!lib) return 1;
    lb_cublaslt_api t = lt;
    if (err && n) err[0] = 0;
    int ok = 1;
    LTSYM(lib, cublasLtCreate, "cublasLtCreate");
    LTSYM(lib, cublasLtDestroy, "cublasLtDestroy");
    LTSYM(lib, cublasLtGetStatusName, "cublasLtGetStatusName");
    LTSYM(lib, cublasLtGetStatusString, "cublasLtGetStatusString");
    LTSYM(lib, cublasLtGetVersion, "cublasLtGetVersion");
    LTSYM(lib, cublasLtMatmulDescCreate, "cublasLtMatmulDescCreate");
    LTSYM(lib, cublasLtMatmulDescDestroy, "cublasLtMatmulDescDestroy");
    LTSYM(lib, cublasLtMatmulDescSetAttribute, "cublasLtMatmulDescSetAttribute");
    LTSYM(lib, cublasLtMatrixLayoutCreate, "cublasLtMatrixLayoutCreate");
    LTSYM(lib, cublasLtMatrixLayoutDestroy, "cublasLtMatrixLayoutDestroy");
    LTSYM(lib, cublasLtMatmulPreferenceCreate, "cublasLtMatmulPreferenceCreate");
    LTSYM(lib, cublasLtMatmulPreferenceDestroy, "cublasLtMatmulPreferenceDestroy");
    LTSYM(lib, cublasLtMatmulPreferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute");
    LTSYM(lib, cublasLtMatmulAlgoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic");
    // cublasLtMatmul last: its presence marks the table as complete.
    LTSYM(lib, cublasLtMatmul, "cublasLtMatmul");
    if (!ok) {
        memcpy(&lt, &t, sizeof lt);
        return 2;
    }
    return 0;
}
