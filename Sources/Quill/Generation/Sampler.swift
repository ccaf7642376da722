import Foundation
import QuillKernels

/// Draws the next token from a row of logits: temperature, then top-k, then nucleus (top-p), any
/// combination; temperature 0 picks the most likely token (lowest id on ties).
public struct Sampler: Sendable, Equatable {
    /// Logits are divided by this; 0 picks the most likely token.
    public var temperature: Double
    /// Keep only the k most likely tokens (nil: all).
    public var topK: Int?
    /// Keep the smallest set of most likely tokens whose probability reaches p (nil: all).
    public var topP: Double?

    /// A sampler; throws `QuillError.invalidSetting` for a negative temperature, top-k below 1
    /// or top-p outside (0, 1].
    public init(temperature: Double = 1, topK: Int? = nil, topP: Double? = nil) throws {
        guard temperature >= 0, temperature.isFinite else {
            throw QuillError.invalidSetting(.init(.temperature, temperature, "temperature must be 0 (greedy) or positive, got \(temperature)"))
        }
        if let topK, topK < 1 { throw QuillError.invalidSetting(.init(.topK, topK, "topK must be at least 1, got \(topK)")) }
        if let topP, !(topP > 0 && topP <= 1) { throw QuillError.invalidSetting(.init(.topP, topP, "topP must be in (0, 1], got \(topP)")) }
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// The distribution this sampler draws from, as (token, probability) pairs summing to 1,
    /// most likely first when top-k or top-p cut it (all tokens in id order otherwise).
    public func distribution(_ logits: UnsafePointer<Float>, count: Int) -> [(token: Int, probability: Double)] {
        if temperature == 0 { return [(argmax(logits, count: count), 1)] }
        var maxLogit = -Double.infinity
        for j in 0..<count { maxLogit = max(maxLogit, Double(logits[j])) }
        var weights = (0..<count).map { Foundation.exp((Double(logits[$0]) - maxLogit) / temperature) }
        var candidates = Array(0..<count)
        if topK != nil || topP != nil {
            // Most likely first; ties by lower id, so the cut is deterministic.
            candidates.sort { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
            if let topK, topK < candidates.count { candidates.removeSubrange(topK...) }
            if let topP {
                let total = candidates.reduce(0) { $0 + weights[$1] }
                var cumulative = 0.0
                var keep = candidates.count
                for (i, token) in candidates.enumerated() {
                    cumulative += weights[token]
                    if cumulative >= topP * total * (1 - 1e-12) { keep = i + 1; break }
                }
                candidates.removeSubrange(keep...)
            }
        }
        let total = candidates.reduce(0) { $0 + weights[$1] }
        weights = candidates.map { weights[$0] / total }
        return zip(candidates, weights).map { ($0, $1) }
    }

    /// Draws one token.
    public func sample(_ logits: UnsafePointer<Float>, count: Int, rng: inout SeededGenerator) -> Int {
        if temperature == 0 { return argmax(logits, count: count) }
        let choices = distribution(logits, count: count)
        let u = rng.nextUniformDouble()
        var cumulative = 0.0
        for (token, p) in choices {
            cumulative += p
            if u < cumulative { return token }
        }
        return choices.last!.token
    }

    func argmax(_ logits: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for j in 1..<max(1, count) where logits[j] > logits[best] { best = j }
        return best
    }
}
