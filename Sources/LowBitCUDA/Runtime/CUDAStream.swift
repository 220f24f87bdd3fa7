import CLowBitCUDAShim

/// A non-blocking CUDA stream of one context. Work queued on it runs in order.
public final class CUDAStream: @unchecked Sendable {
    let handle: lb_CUstream
    unowned let context: CUDAContext
    /// True while `capture` records (no synchronizing calls such as timings may be made then).
    public private(set) var isCapturing = false

    public init(context: CUDAContext) throws(CUDAError) {
        self.context = context
        try context.makeCurrent()
        var s: lb_CUstream? = nil
        try check(context.api.cuStreamCreate!(&s, UInt32(LB_CU_STREAM_NON_BLOCKING)), "cuStreamCreate")
        handle = s!
    }

    deinit { _ = context.api.cuStreamDestroy?(handle) }

    /// Blocks until everything queued so far has finished; a kernel fault surfaces here.
    public func synchronize() throws(CUDAError) {
        try context.makeCurrent()
        try check(context.api.cuStreamSynchronize!(handle), "cuStreamSynchronize")
    }

    /// Records everything `body` queues on this stream into a graph instead of running it
    /// (relaxed capture mode: allocations inside `body` are allowed, but better made before).
    /// Replay the result with `CUDAGraph.launch()`.
    public func capture(_ body: () throws(CUDAError) -> Void) throws(CUDAError) -> CUDAGraph {
        try context.makeCurrent()
        let api = context.api
        try check(api.cuStreamBeginCapture!(handle, LB_CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture_v2")
        var bodyError: CUDAError? = nil
        isCapturing = true
        do { try body() } catch { bodyError = error }
        isCapturing = false
        var graph: lb_CUgraph? = nil
        let end = api.cuStreamEndCapture!(handle, &graph)
        if let bodyError {
            if let graph { _ = api.cuGraphDestroy?(graph) }
            throw bodyError
        }
        try check(end, "cuStreamEndCapture")
        guard let graph else { throw .invalidArgument("stream capture produced no graph") }
        var exec: lb_CUgraphExec? = nil
        let rc = api.cuGraphInstantiateWithFlags!(&exec, graph, 0)
        if rc != 0 { _ = api.cuGraphDestroy?(graph); throw driverError(rc, "cuGraphInstantiateWithFlags") }
        return CUDAGraph(graph: graph, exec: exec!, stream: self)
    }
}

/// An instantiated CUDA graph: a captured sequence of kernels and copies, replayed with one
/// launch (no per-kernel launch overhead).
public final class CUDAGraph: @unchecked Sendable {
    let graph: lb_CUgraph
    let exec: lb_CUgraphExec
    let stream: CUDAStream

    init(graph: lb_CUgraph, exec: lb_CUgraphExec, stream: CUDAStream) {
        self.graph = graph
        self.exec = exec
        self.stream = stream
    }

    deinit {
        _ = stream.context.api.cuGraphExecDestroy?(exec)
        _ = stream.context.api.cuGraphDestroy?(graph)
    }

    /// Queues one replay on the stream it was captured from.
    public func launch() throws(CUDAError) {
        try stream.context.makeCurrent()
        try check(stream.context.api.cuGraphLaunch!(exec, stream.handle), "cuGraphLaunch")
    }
}

/// A CUDA event, for timing work on a stream.
public final class CUDAEvent: @unchecked Sendable {
    let handle: lb_CUevent
    let context: CUDAContext

    public init(context: CUDAContext) throws(CUDAError) {
        self.context = context
        try context.makeCurrent()
        var e: lb_CUevent? = nil
        try check(context.api.cuEventCreate!(&e, UInt32(LB_CU_EVENT_DEFAULT)), "cuEventCreate")
        handle = e!
    }

    deinit { _ = context.api.cuEventDestroy?(handle) }

    public func record(on stream: CUDAStream) throws(CUDAError) {
        try context.makeCurrent()
        try check(context.api.cuEventRecord!(handle, stream.handle), "cuEventRecord")
    }

    public func synchronize() throws(CUDAError) {
        try check(context.api.cuEventSynchronize!(handle), "cuEventSynchronize")
    }

    /// Milliseconds between `start` and this event (both recorded; waits for this one).
    public func elapsed(since start: CUDAEvent) throws(CUDAError) -> Double {
        try synchronize()
        var ms: Float = 0
        try check(context.api.cuEventElapsedTime!(&ms, start.handle, handle), "cuEventElapsedTime")
        return Double(ms)
    }
}
