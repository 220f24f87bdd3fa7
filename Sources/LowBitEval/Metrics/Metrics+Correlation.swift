/// Correlation coefficients, matching `scipy.stats.pearsonr` and `spearmanr`.
extension Metrics {
    /// Pearson's r: `Σ(x−x̄)(y−ȳ) / √(Σ(x−x̄)² · Σ(y−ȳ)²)`. NaN when either side is constant or
    /// there are fewer than 2 pairs. x, y: [n], same n.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        precondition(x.count == y.count, "pearson: \(x.count) and \(y.count) values")
        guard x.count >= 2 else { return .nan }
        let mx = mean(x), my = mean(y)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<x.count {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return .nan }
        return sxy / (sxx.squareRoot() * syy.squareRoot())
    }

    /// Spearman's ρ: Pearson's r of the ranks, ties given their average rank (scipy's default).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        pearson(ranks(x), ranks(y))
    }

    /// 1-based ranks; equal values share the mean of the ranks they span
    /// (`scipy.stats.rankdata(method="average")`): `[10, 20, 20, 5]` → `[2, 3.5, 3.5, 1]`.
    public static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] || (x[$0] == x[$1] && $0 < $1) }
        var r = [Double](repeating: 0, count: x.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && x[order[end]] == x[order[start]] { end += 1 }
            // Positions start..<end hold equal values: ranks start+1 … end, mean (start+1+end)/2.
            let average = Double(start + 1 + end) / 2
            for k in start..<end { r[order[k]] = average }
            start = end
        }
        return r
    }
}
