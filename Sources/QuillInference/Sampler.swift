import Foundation
import QuillCore
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
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { buffer in
            let weights = buffer.baseAddress!
            self.weights(logits, count: count, into: weights)
            let candidates = cut(weights, count: count) ?? Array(0..<count)
            let total = candidates.reduce(0) { $0 + weights[$1] }
            return candidates.map { ($0, weights[$0] / total) }
        }
    }

    /// Draws one token. Without top-k or top-p it walks the tokens in id order and allocates
    /// nothing; with them only the kept tokens are ordered (see `cut`).
    package func sample(_ logits: UnsafePointer<Float>, count: Int, rng: inout SeededGenerator) -> Int {
        if temperature == 0 { return argmax(logits, count: count) }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { buffer in
            let weights = buffer.baseAddress!
            self.weights(logits, count: count, into: weights)
            let u = rng.nextUniformDouble()
            var cumulative = 0.0
            guard let candidates = cut(weights, count: count) else {
                var total = 0.0
                for j in 0..<count { total += weights[j] }
                for j in 0..<count {
                    cumulative += weights[j] / total
                    if u < cumulative { return j }
                }
                return count - 1
            }
            let total = candidates.reduce(0) { $0 + weights[$1] }
            for token in candidates {
                cumulative += weights[token] / total
                if u < cumulative { return token }
            }
            return candidates.last!
        }
    }

    /// exp((logit − max) / temperature) per token, in Double.
    private func weights(_ logits: UnsafePointer<Float>, count: Int, into weights: UnsafeMutablePointer<Double>) {
        var maxLogit = -Double.infinity
        for j in 0..<count { maxLogit = max(maxLogit, Double(logits[j])) }
        for j in 0..<count { weights[j] = Foundation.exp((Double(logits[j]) - maxLogit) / temperature) }
    }

    /// The tokens top-k and top-p keep, most likely first (ties: lower id first), or nil when
    /// neither is set. The order comes from a heap: building it is linear in V and each kept token
    /// costs one pop, so a small cut never sorts the whole vocabulary.
    private func cut(_ weights: UnsafePointer<Double>, count: Int) -> [Int]? {
        guard topK != nil || topP != nil else { return nil }
        var heap = TokenHeap(weights: weights, count: count)
        let limit = min(topK ?? count, count)
        var kept: [Int] = []
        kept.reserveCapacity(min(limit, 1024))
        guard let topP else {
            while kept.count < limit { kept.append(heap.pop()) }
            return kept
        }
        // The mass top-p measures against: the top-k tokens' when top-k is set, else every token's.
        var total = 0.0
        if topK == nil {
            for j in 0..<count { total += weights[j] }
        } else {
            var probe = heap
            for _ in 0..<limit { total += weights[probe.pop()] }
        }
        var cumulative = 0.0
        while kept.count < limit {
            let token = heap.pop()
            kept.append(token)
            cumulative += weights[token]
            if cumulative >= topP * total * (1 - 1e-12) { break }
        }
        return kept
    }

    func argmax(_ logits: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for j in 1..<max(1, count) where logits[j] > logits[best] { best = j }
        return best
    }
}
