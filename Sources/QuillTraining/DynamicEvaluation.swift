import QuillCore
import QuillInference
import QuillText

/// Krause et al. 2018's dynamic evaluation: the text is scored one segment at a time, each with
/// the weights as they are before seeing it, and after each segment the weights (a copy; the
/// checkpoint is never written) take one step on that segment's mean cross-entropy:
///
///     θ ← θ − η·g/(RMS + ε) + λ·r·(θ₀ − θ)
///
/// RMS is each weight's root-mean-square gradient over segments of a text read before scoring
/// (the training text, or the first part of the scored one), θ₀ the trained weights, and
/// r = min(RMS / mean RMS, 1/λ) a per-weight decay rate (the mean is over tensors of each
/// tensor's mean RMS), so weights whose gradients are usually large are pulled back harder.
public struct DynamicEvaluation: Sendable, Equatable {
    /// η: the step on the RMS-normalised gradient.
    public var learningRate: Double
    /// λ: how strongly each step pulls the weights back toward the trained ones (0: not at all).
    public var decay: Double
    /// n: tokens per segment; one update per segment.
    public var segment: Int
    /// ε: added to the RMS so weights whose gradients were ~0 do not take huge steps.
    public var epsilon: Double = 2e-5
    /// Tokens whose gradients are gathered into the RMS (fewer when the text is shorter).
    public var statisticsTokens: Int = 5_000

    /// - Throws: `InvalidSetting` naming the setting when a value is out of range.
    public init(learningRate: Double, decay: Double, segment: Int) throws {
        guard learningRate.isFinite, learningRate >= 0 else {
            throw QuillError.invalidSetting(InvalidSetting(.dynamicLearningRate, learningRate, "dynamicLearningRate must be a number ≥ 0, got \(learningRate)"))
        }
        guard decay.isFinite, decay >= 0, decay < 1 else {
            throw QuillError.invalidSetting(InvalidSetting(.dynamicDecay, decay, "dynamicDecay must be in [0, 1), got \(decay)"))
        }
        guard segment > 0 else { throw QuillError.invalidSetting(.positive(.dynamicSegment, segment)) }
        self.learningRate = learningRate
        self.decay = decay
        self.segment = segment
    }

    /// The defaults for a level and a number of streams read side by side, tuned on PTB's
    /// validation text with one stream and with ten (docs/dynamic-evaluation.md): an update from
    /// several streams' mean gradient takes a larger step. Any B > 1 gets the rate tuned at ten.
    public static func defaults(for level: TokenLevel, streams: Int) -> DynamicEvaluation {
        let several = streams > 1
        switch level {
        case .char: return try! DynamicEvaluation(learningRate: several ? 6e-4 : 3e-4, decay: 0.01, segment: 20)
        case .word, .bpe: return try! DynamicEvaluation(learningRate: several ? 3e-4 : 1e-4, decay: 0.01, segment: 20)
        }
    }
}

extension CacheSettings {
    /// The defaults for a level, tuned on PTB's validation text (docs/dynamic-evaluation.md).
    public static func defaults(for level: TokenLevel) -> CacheSettings {
        switch level {
        case .char: return try! CacheSettings(size: 1000, theta: 0.6, lambda: 0.1)
        case .word, .bpe: return try! CacheSettings(size: 500, theta: 0.3, lambda: 0.2)
        }
    }
}
