import Foundation
import QuillCheckpoint
import QuillKernels
import QuillModel

/// SGD (with optional momentum), Adam, AdamW and RMSprop, following PyTorch's update rules exactly.
/// Weight decay is an L2 penalty added to the gradient, as PyTorch's `weight_decay` is for SGD, Adam
/// and RMSprop; AdamW decouples it instead, shrinking every weight by `1 − lr·weightDecay` before the
/// Adam step, so the decay is not divided by Adam's per-weight scale.
///
/// Parameters, gradients and moments share one flat layout (`ParameterStore`), so each update is a
/// single element-wise loop, split over workers by contiguous ranges (each element has one owner,
/// so the result does not depend on the thread count).
public final class Optimizer {
    /// The update rule.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case sgd, adam, adamw, rmsprop

        /// A learning rate that works for this kind on Quill's default models.
        public var defaultLearningRate: Double {
            switch self {
            case .sgd: return 1
            case .adam, .adamw, .rmsprop: return 0.002
            }
        }

        /// The weight decay a user of this kind expects when none is given: PyTorch's AdamW
        /// default of 0.01, none for the others.
        public var defaultWeightDecay: Float { self == .adamw ? 0.01 : 0 }

        /// Keeps Adam's two moments.
        var isAdam: Bool { self == .adam || self == .adamw }
    }

    /// Hyperparameters other than the learning rate.
    public struct Settings: Codable, Equatable, Sendable {
        /// The update rule.
        public var kind: Kind
        /// SGD momentum (0: none).
        public var momentum: Float = 0
        /// L2 penalty added to the gradients, or for AdamW the decoupled decay rate.
        public var weightDecay: Float = 0
        /// Adam's first-moment decay.
        public var beta1: Float = 0.9
        /// Adam's second-moment decay.
        public var beta2: Float = 0.999
        /// RMSprop's smoothing constant (PyTorch's `alpha`).
        public var alpha: Float = 0.99
        /// Added to the denominator of Adam and RMSprop.
        public var epsilon: Float = 1e-8

        /// Keeps a first-moment buffer: Adam's mean, or SGD's momentum buffer.
        public var keepsFirstMoment: Bool { kind.isAdam || (kind == .sgd && momentum != 0) }
        /// Keeps a second-moment buffer (Adam, RMSprop).
        public var keepsSecondMoment: Bool { kind != .sgd }
        /// Float buffers the optimizer keeps per parameter.
        public var momentBuffers: Int { (keepsFirstMoment ? 1 : 0) + (keepsSecondMoment ? 1 : 0) }

        /// Changes the rule to `newKind`. A decay that is still the old rule's default becomes the new
        /// rule's (AdamW's 0.01 comes with AdamW, as with `quill train --optimizer adamw`); a decay
        /// someone chose stays.
        public mutating func switchKind(to newKind: Kind) {
            if weightDecay == kind.defaultWeightDecay { weightDecay = newKind.defaultWeightDecay }
            kind = newKind
        }

        /// Settings with PyTorch's defaults for the rest.
        public init(kind: Kind, momentum: Float = 0, weightDecay: Float = 0) {
            self.kind = kind
            self.momentum = momentum
            self.weightDecay = weightDecay
        }
    }

    /// The update rule and its hyperparameters.
    public let settings: Settings
    /// Updates taken so far (Adam's bias correction uses it).
    public private(set) var stepCount = 0
    /// First moment (Adam) or momentum buffer (SGD); second moment (Adam, RMSprop).
    package let first: ParameterStore?
    /// Second moment (Adam, RMSprop), nil for SGD.
    package let second: ParameterStore?

    /// An optimizer with zeroed moments laid out like `parameters`.
    package init(settings: Settings, layoutOf parameters: ParameterStore) {
        self.settings = settings
        first = settings.keepsFirstMoment ? ParameterStore(sameLayoutAs: parameters) : nil
        second = settings.keepsSecondMoment ? ParameterStore(sameLayoutAs: parameters) : nil
    }

    /// Applies one update to `parameters` from `gradients`.
    /// - Parameters:
    ///   - gradientScale: multiplies every gradient first (global-norm clipping's factor), fused into
    ///     the update so the gradients are not rewritten by a separate pass.
    ///   - zeroingGradients: leaves the gradients zeroed, ready for the next step's accumulation,
    ///     in the same pass.
    package func step(parameters: ParameterStore, gradients: ParameterStore, learningRate: Double,
                     gradientScale: Float = 1, zeroingGradients: Bool = false) {
        precondition(!parameters.isReadOnly && parameters.count == gradients.count, "gradients do not match writable parameters")
        stepCount += 1
        let s = settings
        let t = Double(stepCount)
        let rule: UpdateKernels.Rule
        switch s.kind {
        case .sgd:
            if let first {
                rule = .momentum(buffer: first.values, momentum: s.momentum, firstStep: stepCount == 1)
            } else {
                rule = .sgd
            }
        case .adam, .adamw:
            // AdamW's shrink is computed as PyTorch does, in double, then applied in float.
            let shrink = s.kind == .adamw ? Float(1 - learningRate * Double(s.weightDecay)) : 1
            rule = .adam(m: first!.values, v: second!.values, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon,
                         correction1: Float(1 - pow(Double(s.beta1), t)),
                         correction2Root: Float((1 - pow(Double(s.beta2), t)).squareRoot()), shrink: shrink)
        case .rmsprop:
            rule = .rmsprop(v: second!.values, alpha: s.alpha, epsilon: s.epsilon)
        }
        let common = UpdateKernels.Common(learningRate: Float(learningRate), gradientScale: gradientScale,
                                          weightDecay: s.kind == .adamw ? 0 : s.weightDecay, zeroGradients: zeroingGradients)
        UpdateKernels.update(rule, common, w: parameters.values, g: gradients.values, count: parameters.count)
    }

    /// Restores the step count (for resuming; the moments are restored through `first`/`second`).
    public func restore(stepCount: Int) { self.stepCount = stepCount }
}
