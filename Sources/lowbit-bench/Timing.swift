import Dispatch

/// Monotonic wall-clock seconds.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// Runs `body` once to warm up, then repeatedly for at least `minTime` seconds and `minReps`
/// repetitions; returns the per-call times, sorted.
func timeRepeated(minTime: Double, minReps: Int, _ body: () -> Void) -> [Double] {
    body()
    var times: [Double] = []
    let start = now()
    while times.count < minReps || now() - start < minTime {
        let t0 = now()
        body()
        times.append(now() - t0)
    }
    return times.sorted()
}

/// The middle element of sorted values.
func median(_ sorted: [Double]) -> Double { sorted[sorted.count / 2] }
