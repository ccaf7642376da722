import Foundation
import Quill
import QuillKernels
import XCTest

/// The sampler's heap-based top-k / top-p against the plain algorithm it replaced: sort every
/// token by probability, cut, renormalise, walk the cumulative sum.
final class SamplerReferenceTests: XCTestCase {
    /// The straightforward version: a full sort, as the sampler did before it avoided one.
    func referenceSample(_ logits: [Float], temperature: Double, topK: Int?, topP: Double?, u: Double) -> Int {
        let maxLogit = Double(logits.max()!)
        let weights = logits.map { Foundation.exp((Double($0) - maxLogit) / temperature) }
        var candidates = Array(0..<logits.count)
        if topK != nil || topP != nil {
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
        var cumulative = 0.0
        for token in candidates {
            cumulative += weights[token] / total
            if u < cumulative { return token }
        }
        return candidates.last!
    }

    func testSameDrawsAsAFullSort() throws {
        var rng = SeededGenerator(seed: 42)
        let settings: [(Double, Int?, Double?)] = [(1, nil, nil), (0.7, 5, nil), (1, 40, nil), (1.3, nil, 0.9), (0.8, nil, 0.5),
                                                   (1, 20, 0.8), (1, 1, nil), (1, nil, 1), (1, 500, nil)]
        for (temperature, topK, topP) in settings {
            let sampler = try Sampler(temperature: temperature, topK: topK, topP: topP)
            for trial in 0..<300 {
                // Logits with ties (rounded to a coarse grid), as a trained model's often has.
                let logits = (0..<257).map { _ in (rng.nextUniform(in: -4, 4) * 4).rounded() / 4 }
                var draws = SeededGenerator(seed: UInt64(trial))
                var copy = draws
                let token = logits.withUnsafeBufferPointer { sampler.sample($0.baseAddress!, count: logits.count, rng: &draws) }
                let expected = referenceSample(logits, temperature: temperature, topK: topK, topP: topP, u: copy.nextUniformDouble())
                XCTAssertEqual(token, expected, "T=\(temperature) k=\(String(describing: topK)) p=\(String(describing: topP)) trial \(trial)")
            }
        }
    }
}
