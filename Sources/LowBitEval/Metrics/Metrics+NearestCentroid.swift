/// k-fold nearest-centroid classification.
extension Metrics {
    /// The accuracy of a nearest-centroid classifier under k-fold cross-validation.
    ///
    /// Fold `f` tests the items whose 0-based index `i` has `i mod folds == f` and trains on the
    /// rest. Vectors are L2-normalized; a class's centroid is the mean of its normalized training
    /// vectors (not renormalized); an item is given the class whose centroid has the largest dot
    /// product with it, ties going to the smaller label (for labels 0/1 this is the reference's
    /// `x·c1 > x·c0 ? 1 : 0`). Classes with no training item in a fold are not candidates.
    ///
    /// - Parameters:
    ///   - vectors: [n][dim].
    ///   - labels: [n] class labels.
    /// - Returns: the mean of the per-fold accuracies, and those accuracies ([folds]).
    /// - Precondition: `n ≥ folds ≥ 2`, so that every fold has a test item.
    public static func nearestCentroidAccuracy(_ vectors: [[Float]], labels: [Int], folds: Int = 5)
        -> (mean: Double, perFold: [Double]) {
        precondition(vectors.count == labels.count, "nearestCentroidAccuracy: \(vectors.count) vectors, \(labels.count) labels")
        precondition(folds >= 2 && vectors.count >= folds, "nearestCentroidAccuracy: \(vectors.count) items for \(folds) folds")
        let x = vectors.map(normalized)
        let dim = x[0].count
        let classes = Array(Set(labels)).sorted()
        var accuracies: [Double] = []
        for fold in 0..<folds {
            var sums = [Int: [Double]](), counts = [Int: Int]()
            for i in x.indices where i % folds != fold {
                sums[labels[i], default: [Double](repeating: 0, count: dim)].addInPlace(x[i])
                counts[labels[i], default: 0] += 1
            }
            let centroids = classes.compactMap { c in sums[c].map { (c, $0.map { $0 / Double(counts[c]!) }) } }
            var correct = 0, tested = 0
            for i in x.indices where i % folds == fold {
                var best: (label: Int, score: Double)? = nil
                for (c, centroid) in centroids {
                    let s = dot(x[i], centroid)
                    if best == nil || s > best!.score { best = (c, s) }
                }
                if best?.label == labels[i] { correct += 1 }
                tested += 1
            }
            accuracies.append(Double(correct) / Double(tested))
        }
        return (mean(accuracies), accuracies)
    }

    /// `Σ a_i b_i` in index order. a, b: [dim].
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }
}

extension Array where Element == Double {
    fileprivate mutating func addInPlace(_ other: [Double]) {
        for i in indices { self[i] += other[i] }
    }
}
