import LowBitCore

/// One kernel check against its CPU reference.
public struct CheckResult: Sendable, Codable {
    public var name: String
    public var shape: String
    public var passed: Bool
    /// Worst |got − ref| / bound over the outputs (≤ 1 passes; NaN or unwritten → ∞).
    public var worst: Double
    public var detail: String

    public var line: String {
        "\(passed ? "PASS" : "FAIL") \(name) [\(shape)] worst \(worst.isFinite ? String(format3(worst)) : "inf")×bound\(detail.isEmpty ? "" : " — \(detail)")"
    }
}

func format3(_ v: Double) -> String {
    let r = (v * 1000).rounded() / 1000
    return "\(r)"
}

/// Runs every kernel against the CPU references on random and odd shapes (llm.c / ggml's
/// test-backend-ops style): outputs are poisoned (NaN) before each run, compared element by
/// element with a bound derived from the rounding the kernel must do, and any error thrown by
/// the runtime counts as a failure with its message.
public final class CUDASelfTest {
    public let kernels: CUDAKernels
    var context: CUDAContext { kernels.context }
    var rng = CUDAReference.RNG(seed: 20261123)
    public private(set) var results: [CheckResult] = []
    /// Called with each result as it is recorded (the executable prints it).
    public var onResult: ((CheckResult) -> Void)?

    public init(kernels: CUDAKernels) { self.kernels = kernels }

    /// The check groups, in the order `runAll` runs them.
    public static let groups = ["runtime", "rows", "gemm", "gemm-lt", "attention", "gemm-wgmma", "gemm-wgmma-ln"]

    /// All checks; `quick` trims the shape lists; `only`: just the named groups (`groups`).
    public func runAll(quick: Bool = false, only: Set<String>? = nil) -> [CheckResult] {
        func guarded(_ name: String, _ body: () throws(CUDAError) -> Void) {
            precondition(Self.groups.contains(name), "self-test group \(name) missing from CUDASelfTest.groups")
            if let only, !only.contains(name) { return }
            self.guarded(name, body)
        }
        guarded("runtime") { () throws(CUDAError) in try runtimeChecks() }
        guarded("rows") { () throws(CUDAError) in try rowChecks(quick: quick) }
        guarded("gemm") { () throws(CUDAError) in try gemmChecks(quick: quick) }
        guarded("gemm-lt") { () throws(CUDAError) in try ltChecks(quick: quick) }
        guarded("attention") { () throws(CUDAError) in try attentionChecks(quick: quick) }
        // Last: a fault in the newest kernel must not hide the results of the others.
        guarded("gemm-wgmma") { () throws(CUDAError) in try wgmmaChecks(quick: quick) }
        guarded("gemm-wgmma-ln") { () throws(CUDAError) in try wgmmaLayerNormChecks(quick: quick) }
        return results
    }

    func guarded(_ name: String, _ body: () throws(CUDAError) -> Void) {
        do { try body() } catch { record(name, "-", worst: .infinity, detail: "error: \(error)") }
    }

    func record(_ name: String, _ shape: String, worst: Double, detail: String = "") {
        let r = CheckResult(name: name, shape: shape, passed: worst <= 1, worst: worst, detail: detail)
        results.append(r)
        onResult?(r)
    }

    /// Worst ratio |got − ref| / bound(i), NaN → ∞, and where.
    func worstRatio(_ got: [Double], _ ref: [Double], bound: (Int) -> Double) -> (Double, Int) {
        var worst = 0.0, at = 0
        for i in got.indices {
            let e = abs(got[i] - ref[i]) / bound(i)
            if !(e <= worst) { worst = e.isNaN ? .infinity : e; at = i }
        }
        return (worst, at)
    }

    func check(_ name: String, _ shape: String, _ got: [Double], _ ref: [Double], bound: (Int) -> Double) {
        let (w, at) = worstRatio(got, ref, bound: bound)
        let detail = got.isEmpty || w <= 1 ? "" : "at \(at): got \(got[at]) want \(ref[at]) (bound \(bound(at)))"
        record(name, shape, worst: w, detail: detail)
    }

    // MARK: runtime

    func runtimeChecks() throws(CUDAError) {
        let ctx = context
        // Copies and the caching allocator.
        let values: [Int32] = (0..<1000).map { Int32($0 * 7 - 300) }
        var buf: DeviceBuffer? = try ctx.upload(values)
        let back = try ctx.download(buf!, as: Int32.self, count: values.count)
        record("runtime.copy", "1000 i32", worst: back == values ? 0 : .infinity)
        let before = ctx.allocator.statistics
        buf = nil
        let again = try ctx.allocator.allocate(4000)
        let after = ctx.allocator.statistics
        record("runtime.allocator-reuse", "4000 B", worst: after.cacheHits == before.cacheHits + 1 ? 0 : .infinity,
               detail: "hits \(before.cacheHits)→\(after.cacheHits), driver allocations \(after.driverAllocations)")
        try ctx.fill(again, byte: 0xAB)
        let filled = try ctx.download(again, as: UInt8.self, count: 4000)
        record("runtime.memset", "4000 B", worst: filled.allSatisfy { $0 == 0xAB } ? 0 : .infinity)

        // Kernel cache: a second request for the same unit is served without compiling.
        let compiler = ctx.compiler
        let unit = KernelSources.norm()
        _ = try compiler.cubin(source: unit.source, name: unit.name, options: unit.options)
        let compiled = compiler.compiledCount
        _ = try compiler.cubin(source: unit.source, name: unit.name, options: unit.options)
        record("runtime.kernel-cache", unit.name, worst: compiler.compiledCount == compiled ? 0 : .infinity,
               detail: "compiled \(compiler.compiledCount), disk hits \(compiler.diskHits), dir \(compiler.cacheDirectory ?? "none")")

        // Graph capture and replay: y += b captured once, replayed 3 times → y0 + 3b (exact in fp16).
        let n = 4099
        let y0 = (0..<n).map { HalfPrecision.floatToF16(Float($0 % 100)) }
        let bv = (0..<n).map { HalfPrecision.floatToF16(Float($0 % 7)) }
        let y = try ctx.upload(y0), b = try ctx.upload(bv)
        _ = try kernels.function("lb_add_f16", in: KernelSources.norm())   // load before capturing
        try ctx.synchronize()
        let graph = try ctx.stream.capture { () throws(CUDAError) in try kernels.add(y, b, into: y, count: n) }
        for _ in 0..<3 { try graph.launch() }
        let got = try ctx.download(y, as: UInt16.self, count: n)
        let ok = (0..<n).allSatisfy { HalfPrecision.f16ToFloat(got[$0]) == Float($0 % 100 + 3 * ($0 % 7)) }
        record("runtime.graph-replay", "3× add of \(n)", worst: ok ? 0 : .infinity)

        // Events time something positive.
        let e0 = try CUDAEvent(context: ctx), e1 = try CUDAEvent(context: ctx)
        try e0.record(on: ctx.stream)
        for _ in 0..<10 { try kernels.add(y, b, into: y, count: n) }
        try e1.record(on: ctx.stream)
        let ms = try e1.elapsed(since: e0)
        record("runtime.events", "10 launches", worst: ms > 0 && ms < 1000 ? 0 : .infinity, detail: "\(format3(ms * 1000)) µs")

        // Errors carry the call: an impossible allocation.
        do {
            _ = try ctx.allocator.allocate(1 << 50)
            record("runtime.error-report", "1 PiB alloc", worst: .infinity, detail: "no error")
        } catch {
            let text = "\(error)"
            record("runtime.error-report", "1 PiB alloc", worst: text.contains("cuMemAlloc") ? 0 : .infinity, detail: text)
        }
    }
}
