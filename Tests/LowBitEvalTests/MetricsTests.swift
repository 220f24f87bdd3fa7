import Foundation
import LowBitCore
import Testing
@testable import LowBitEval

/// Metrics against hand-computed values and against numpy/scipy (Fixtures/metrics.json).
@Suite struct MetricsTests {
    @Test func handComputedValues() {
        #expect(Metrics.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        #expect(Metrics.ranks([1, 1, 1]) == [2, 2, 2])
        #expect(Metrics.ranks([]) == [])
        #expect(close(Metrics.pearson([1, 2, 3], [2, 4, 6]), 1))
        #expect(close(Metrics.pearson([1, 2, 3], [3, 2, 1]), -1))
        // x̄ = 2, ȳ = 7/3: Σdxdy = 1, Σdx² = 2, Σdy² = 2/3 → r = 1/√(4/3) = √3/2.
        #expect(close(Metrics.pearson([1, 2, 3], [2, 3, 2]), 0))
        #expect(close(Metrics.pearson([1, 2, 3], [2, 2, 3]), Double(3).squareRoot() / 2))
        #expect(Metrics.pearson([1, 1, 1], [1, 2, 3]).isNaN)
        #expect(Metrics.pearson([1], [1]).isNaN)
        // Monotone but not linear: Spearman 1.
        #expect(close(Metrics.spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1))
        #expect(close(Metrics.cosine([1, 0], [0, 1]), 0))
        #expect(close(Metrics.cosine([1, 2], [2, 4]), 1))
        #expect(close(Metrics.cosine([3, 4], [4, 3]), 24.0 / 25))
        #expect(Metrics.cosine([0, 0], [1, 0]) == 0)
        #expect(Metrics.percentile([1, 2, 3, 4], 0.5) == 2.5)
        #expect(Metrics.percentile((0...100).map(Double.init), 0.99) == 99)
        #expect(close(Metrics.percentile([2, 1], 0.99), 1.99))
        #expect(Metrics.percentile([5], 0.99) == 5)
        #expect(Metrics.percentile([], 0.5).isNaN)
        #expect(Metrics.mean([1, 2, 3, 6]) == 3)
        // Uniform logits over 4: log-sum-exp = log 4; identical rows: KL exactly 0.
        #expect(close(Metrics.logSumExp([0, 0, 0, 0]), log(4)))
        #expect(Metrics.klDivergence(referenceLogits: [1, 2, 3], modelLogits: [1, 2, 3]) == 0)
        // p = (1/2, 1/2), q = (1/4·e⁰…): logits [0, 0] vs [log 3, 0] → q = (3/4, 1/4).
        let kl = 0.5 * log(0.5 / 0.75) + 0.5 * log(0.5 / 0.25)
        #expect(close(Metrics.klDivergence(referenceLogits: [0, 0], modelLogits: [Float(log(3.0)), 0]), kl, 1e-7))
        // Shifting logits does not change log-softmax; huge logits do not overflow.
        #expect(close(Metrics.logSoftmax([1000, 1000])[0], -log(2)))
        #expect(Metrics.logSumExp([-Float.infinity, 0]) == 0)
        #expect(Metrics.klDivergence(referenceLogits: [-.infinity, 0], modelLogits: [0, 0]) == log(2))
    }

    @Test func correlationsMatchScipy() throws {
        for c in try MetricsFixture.load().correlation {
            #expect(close(Metrics.pearson(c.x, c.y), c.pearson), "n=\(c.x.count)")
            #expect(close(Metrics.spearman(c.x, c.y), c.spearman), "n=\(c.x.count)")
            #expect(Metrics.ranks(c.x) == c.ranks_x, "n=\(c.x.count)")
        }
    }

    @Test func percentileMatchesNumpyLinear() throws {
        for c in try MetricsFixture.load().percentile {
            for (q, e) in zip(c.q, c.expected) {
                #expect(close(Metrics.percentile(c.values, q), e, 1e-14), "n=\(c.values.count) q=\(q)")
            }
        }
    }

    @Test func logSoftmaxAndKLMatchScipy() throws {
        for c in try MetricsFixture.load().softmax {
            #expect(close(Metrics.logSumExp(c.model), c.lse_model, 1e-14), "V=\(c.model.count)")
            let ls = Metrics.logSoftmax(c.model)
            #expect(zip(ls, c.log_softmax_model).allSatisfy { close($0, $1, 1e-13) }, "V=\(c.model.count)")
            #expect(c.model.withUnsafeBufferPointer { Metrics.maxAndArgmax($0).index } == c.argmax_model)
            #expect(abs(Metrics.klDivergence(referenceLogits: c.reference, modelLogits: c.model) - c.kl) <= 1e-13 * max(1, c.kl),
                    "V=\(c.model.count)")
        }
    }

    @Test func cosineMatchesNumpy() throws {
        for c in try MetricsFixture.load().cosine {
            #expect(close(Metrics.cosine(c.a, c.b), c.cosine, 1e-14), "dim=\(c.a.count)")
        }
    }

    @Test func nearestCentroidMatchesReference() throws {
        let c = try MetricsFixture.load().centroid
        let (mean, folds) = Metrics.nearestCentroidAccuracy(c.vectors, labels: c.labels, folds: 5)
        #expect(folds == c.fold_accuracies)
        #expect(close(mean, c.accuracy))
    }

    @Test func nearestCentroidByHand() {
        // Two clusters along x and y; fold k = i % 2. Every item is nearest its own class.
        let v: [[Float]] = [[1, 0], [0, 1], [0.9, 0.1], [0.1, 0.9], [1, 0.2], [0.2, 1]]
        let labels = [0, 1, 0, 1, 0, 1]
        // i % 2 == 0 are all class 0: a fold trains on class 1 only and predicts 1 everywhere.
        let (mean, folds) = Metrics.nearestCentroidAccuracy(v, labels: labels, folds: 2)
        #expect(folds == [0, 0] && mean == 0)
        let (mean3, folds3) = Metrics.nearestCentroidAccuracy(v, labels: labels, folds: 3)
        #expect(folds3 == [1, 1, 1] && mean3 == 1)
        // Item 0 ([1, 1]) is as near centroid [1, 0] (class 0) as [0, 1] (class 1): the tie goes to
        // the smaller label, right when item 0 is class 0 and wrong when it is class 1.
        let v3: [[Float]] = [[1, 1], [1, 0], [0, 1]]
        #expect(Metrics.nearestCentroidAccuracy(v3, labels: [0, 0, 1], folds: 3).perFold[0] == 1)
        #expect(Metrics.nearestCentroidAccuracy(v3, labels: [1, 0, 1], folds: 3).perFold[0] == 0)
    }

    @Test func windowScoresDoNotDependOnThreadSplit() {
        // Parallel rows vs a plain serial loop: bit-identical.
        var rng = SystemRandomNumberGenerator()
        for (n, v) in [(1, 3), (2, 1), (3, 17), (33, 1023)] {
            let values = (0..<(n * v)).map { _ in Float.random(in: -8...8, using: &rng) }
            let tokens = (0..<n).map { _ in Int32.random(in: 0..<Int32(v), using: &rng) }
            let s = WindowScores(logits: Tensor(shape: [n, v], values: values), tokens: tokens)
            #expect(s.negativeLogLikelihoods.count == n - 1)
            for t in 0..<(n - 1) {
                let row = Array(values[(t * v)..<((t + 1) * v)])
                #expect(s.logSumExps[t] == Metrics.logSumExp(row))
                #expect(s.negativeLogLikelihoods[t] == -Metrics.logSoftmax(row)[Int(tokens[t + 1])])
            }
        }
    }
}
