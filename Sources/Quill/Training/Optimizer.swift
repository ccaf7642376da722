import Foundation
import QuillKernels

/// SGD (with optional momentum), Adam and RMSprop, following PyTorch's update rules exactly, with
/// L2 weight decay added to the gradient as PyTorch's `weight_decay` does.
///
/// Parameters, gradients and moments share one flat layout (`ParameterStore`), so each update is a
/// single element-wise loop, split over workers by contiguous ranges (each element has one owner,
/// so the result does not depend on the thread count).
public final class Optimizer: @unchecked Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sgd, adam, rmsprop

        /// A learning rate that works for this kind on Quill's default models.
        public var defaultLearningRate: Double {
            switch self {
            case .sgd: return 1
            case .adam, .rmsprop: return 0.002
            }
        }
    }

    /// Hyperparameters other than the learning rate.
    public struct Settings: Codable, Equatable, Sendable {
        public var kind: Kind
        public var momentum: Float = 0
        public var weightDecay: Float = 0
        public var beta1: Float = 0.9
        public var beta2: Float = 0.999
        /// RMSprop's smoothing constant (PyTorch's `alpha`).
        public var alpha: Float = 0.99
        public var epsilon: Float = 1e-8

        public init(kind: Kind, momentum: Float = 0, weightDecay: Float = 0) {
            self.kind = kind
            self.momentum = momentum
            self.weightDecay = weightDecay
        }
    }

    public let settings: Settings
    /// Updates taken so far (Adam's bias correction uses it).
    public private(set) var stepCount = 0
    /// First moment (Adam) or momentum buffer (SGD); second moment (Adam, RMSprop).
    public let first: ParameterStore?
    public let second: ParameterStore?

    public init(settings: Settings, layoutOf parameters: ParameterStore) {
        self.settings = settings
        let needsFirst = settings.kind == .adam || (settings.kind == .sgd && settings.momentum != 0)
        let needsSecond = settings.kind != .sgd
        first = needsFirst ? ParameterStore(sameLayoutAs: parameters) : nil
        second = needsSecond ? ParameterStore(sameLayoutAs: parameters) : nil
    }

    /// Applies one update to `parameters` from `gradients` (which it may modify: weight decay is
    /// added into them).
    public func step(parameters: ParameterStore, gradients: ParameterStore, learningRate: Double) {
        stepCount += 1
        let w = parameters.values, g = gradients.values
        let m = first?.values, v = second?.values
        let s = settings
        let lr = Float(learningRate)
        let t = Double(stepCount)
        let correction1 = Float(1 - pow(Double(s.beta1), t))
        let correction2Root = Float((1 - pow(Double(s.beta2), t)).squareRoot())
        Parallel.forRanges(parameters.count, granule: 1024, minimumPerWorker: 1 << 16) { range in
            for i in range {
                var grad = g[i]
                if s.weightDecay != 0 { grad += s.weightDecay * w[i] }
                switch s.kind {
                case .sgd:
                    if let m {
                        // PyTorch: the buffer starts as the first gradient, then b = μ·b + g.
                        m[i] = self.stepCount == 1 ? grad : s.momentum * m[i] + grad
                        grad = m[i]
                    }
                    w[i] -= lr * grad
                case .adam:
                    m![i] = s.beta1 * m![i] + (1 - s.beta1) * grad
                    v![i] = s.beta2 * v![i] + (1 - s.beta2) * grad * grad
                    let denominator = v![i].squareRoot() / correction2Root + s.epsilon
                    w[i] -= (lr / correction1) * (m![i] / denominator)
                case .rmsprop:
                    v![i] = s.alpha * v![i] + (1 - s.alpha) * grad * grad
                    w[i] -= lr * grad / (v![i].squareRoot() + s.epsilon)
                }
            }
        }
    }

    /// Restores the step count (for resuming; the moments are restored through `first`/`second`).
    public func restore(stepCount: Int) { self.stepCount = stepCount }
}
