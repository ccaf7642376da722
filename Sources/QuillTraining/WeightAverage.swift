import QuillCheckpoint
import QuillModel

/// An exponential moving average of a model's weights (Polyak averaging): validation, the best
/// model and samples read the average, which is smoother than the last step's weights when the
/// learning rate stays high. Early steps use the decay min(d, (1 + n)/(10 + n)), so the average
/// follows the weights closely at first instead of remembering the initialisation.
final class WeightAverage {
    let decay: Double
    /// The averaged weights, in the parameter store's flat order.
    private(set) var values: [Float]

    /// An average starting at `values` (the current weights, or a saved average).
    init(decay: Double, values: [Float]) {
        self.decay = decay
        self.values = values
    }

    /// Moves the average towards `parameters` after optimizer step `step` (1-based).
    func update(from parameters: ParameterStore, step: Int) {
        precondition(parameters.count == values.count)
        let n = Double(step)
        let d = Float(min(decay, (1 + n) / (10 + n))), w = 1 - d
        let p = parameters.values
        values.withUnsafeMutableBufferPointer { a in
            for i in 0..<a.count { a[i] += w * (p[i] - a[i]) }
        }
    }

    /// Runs `body` with the averaged weights in `parameters`, then puts the trained ones back.
    func withAveragedWeights<R>(in parameters: ParameterStore, _ body: () throws -> R) rethrows -> R {
        precondition(!parameters.isReadOnly, "averaging into read-only weights")
        exchange(with: parameters)
        defer { exchange(with: parameters) }
        return try body()
    }

    private func exchange(with parameters: ParameterStore) {
        precondition(parameters.count == values.count)
        let p = parameters.values
        values.withUnsafeMutableBufferPointer { a in
            for i in 0..<a.count { (a[i], p[i]) = (p[i], a[i]) }
        }
    }
}
