import Foundation
import QuillKernels
import QuillModel
import QuillText

/// Dynamic evaluation's step (see `DynamicEvaluation`) over one network's writable weights: the
/// trained weights θ₀ and, per weight, the step scale η/(RMS + ε) and the decay rate λ·r, fixed
/// once the gradient statistics are gathered.
final class DynamicUpdate {
    private let initial: [Float]    // θ₀
    private let stepScale: [Float]  // η / (RMS + ε)
    private let decayRate: [Float]  // λ · min(RMS / mean RMS, 1/λ)

    /// - Parameter meanSquares: each weight's mean squared gradient over the statistics segments.
    init(network: Network, meanSquares: [Float], settings: DynamicEvaluation) {
        let parameters = network.parameters
        precondition(meanSquares.count == parameters.count)
        initial = parameters.allValues
        let rms = meanSquares.map { $0.squareRoot() }
        // Krause's normaliser: the mean over tensors of each tensor's mean RMS.
        var tensorMeans = 0.0
        for entry in parameters.entries where entry.count > 0 {
            var sum = 0.0
            for i in entry.offset..<(entry.offset + entry.count) { sum += Double(rms[i]) }
            tensorMeans += sum / Double(entry.count)
        }
        let meanRMS = tensorMeans / Double(max(1, parameters.entries.count))
        let eta = settings.learningRate, lambda = settings.decay, epsilon = settings.epsilon
        stepScale = rms.map { Float(eta / (Double($0) + epsilon)) }
        decayRate = rms.map { r in
            guard lambda > 0 else { return 0 }
            let relative = meanRMS > 0 ? Double(r) / meanRMS : 1
            return Float(lambda * min(relative, 1 / lambda))
        }
    }

    /// θ ← θ + λr·(θ₀ − θ) − η·g/(RMS + ε), and the gradients zeroed for the next segment. Each
    /// weight's update reads only its own values, so any split over threads gives the same bits.
    func apply(to network: Network) {
        let theta = network.parameters.values, grad = network.gradients.values
        initial.withUnsafeBufferPointer { start in
            stepScale.withUnsafeBufferPointer { step in
                decayRate.withUnsafeBufferPointer { decay in
                    let start = start.baseAddress!, step = step.baseAddress!, decay = decay.baseAddress!
                    Parallel.forRanges(initial.count, granule: 1024, minimumPerWorker: 1 << 16) { range in
                        for i in range {
                            theta[i] += decay[i] * (start[i] - theta[i]) - step[i] * grad[i]
                            grad[i] = 0
                        }
                    }
                }
            }
        }
    }

    /// Each weight's mean squared gradient of the mean cross-entropy over the windows of
    /// `batcher` (its streams read side by side, state carried), with the network's weights left
    /// as they are. Read with the streams and segment of the scoring pass, so the statistics
    /// describe the gradients the updates will take.
    static func meanSquares(network: Network, batcher: StreamBatcher) -> [Float] {
        let count = network.parameters.count
        var sums = [Float](repeating: 0, count: count)
        var segments = 0
        network.gradients.zero()
        network.forEachWindow(of: batcher) { batch in
            _ = network.lossAndGradient(targets: batch.targets, mask: nil)
            network.backward()
            let grad = network.gradients.values
            sums.withUnsafeMutableBufferPointer { s in
                let s = s.baseAddress!
                Parallel.forRanges(count, granule: 1024, minimumPerWorker: 1 << 16) { range in
                    for i in range {
                        s[i] += grad[i] * grad[i]
                        grad[i] = 0
                    }
                }
            }
            segments += 1
        }
        let scale = 1 / Float(max(1, segments))
        return sums.map { $0 * scale }
    }
}
