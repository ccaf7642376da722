import Foundation
import QuillCore

extension ModelConfig {
    /// An adaptive softmax (Grave et al. 2017, PyTorch's `nn.AdaptiveLogSoftmaxWithLoss` with
    /// `head_bias=True`) in place of the decoder and its full softmax: the `cutoffs` split the ids
    /// into a shortlist `0..<cutoffs[0]`, scored by the head, and clusters `cutoffs[i]..<cutoffs[i+1]`
    /// (the last ending at V), each scored by a tail of its own: a projection H → H / div^(i+1)
    /// then → the cluster's size. The head has one extra output per cluster, after the shortlist:
    /// log p(w) = log p_head(w) for shortlist words, log p_head(cluster) + log p_cluster(w) for the
    /// others. Ids are word frequency ranks, so the shortlist holds the most frequent words.
    public struct AdaptiveSoftmax: Codable, Equatable, Sendable {
        /// Increasing ids, each in 1..<V: where the shortlist and each cluster end.
        public var cutoffs: [Int]
        /// PyTorch's `div_value`: tail i projects to ⌊H / divValue^(i+1)⌋ features.
        public var divValue: Double

        /// PyTorch's default `div_value`.
        public static let defaultDivValue = 4.0
        /// The cutoffs a model gets when a vocabulary size, not the caller, asks for an adaptive
        /// softmax (`TrainingOptions.adaptiveSoftmaxFrom`): those measured in docs/adaptive-softmax.md.
        public static let defaultCutoffs = [2000, 10000]

        /// A softmax with these cutoffs and divisor; `validate` checks them against a model.
        public init(cutoffs: [Int], divValue: Double = AdaptiveSoftmax.defaultDivValue) {
            self.cutoffs = cutoffs
            self.divValue = divValue
        }

        /// Number of tail clusters (one per cutoff).
        public var clusterCount: Int { cutoffs.count }
        /// Outputs of the head: the shortlist then one per cluster.
        public var headSize: Int { cutoffs[0] + cutoffs.count }

        /// Ids of cluster `i` (0-based): `cutoffs[i]..<cutoffs[i+1]`, the last ending at `vocabularySize`.
        /// Empty, not a trap, for cutoffs `validate` refuses.
        public func cluster(_ i: Int, vocabularySize v: Int) -> Range<Int> {
            cutoffs[i]..<max(cutoffs[i], i + 1 < cutoffs.count ? cutoffs[i + 1] : v)
        }

        /// Features of tail `i`'s projection: ⌊H / divValue^(i+1)⌋, as PyTorch computes it.
        public func projectionSize(_ i: Int, hiddenSize h: Int) -> Int {
            Int((Double(h) / pow(divValue, Double(i + 1))).rounded(.down))
        }

        /// Throws `QuillError.invalidSetting` for cutoffs that are empty, not increasing, not in
        /// 1..<V, a divisor that is not a finite number above 0, or a tail projection of no features.
        public func validate(vocabularySize v: Int, hiddenSize h: Int) throws {
            let text = cutoffs.map(String.init).joined(separator: ",")
            guard let first = cutoffs.first else {
                throw QuillError.invalidSetting(.init(.adaptiveSoftmax, text, "adaptiveSoftmax needs at least one cutoff"))
            }
            guard first > 0, zip(cutoffs, cutoffs.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw QuillError.invalidSetting(.init(.adaptiveSoftmax, text, "adaptiveSoftmax cutoffs must be positive and increasing, got \(text)"))
            }
            guard cutoffs.last! < v else {
                throw QuillError.invalidSetting(.init(.adaptiveSoftmax, text, "adaptiveSoftmax cutoffs must stay below vocabularySize (\(v)), got \(text)",
                                                      related: [.vocabularySize]))
            }
            guard divValue.isFinite && divValue > 0 else {
                throw QuillError.invalidSetting(.init(.adaptiveDivValue, divValue, "adaptiveDivValue must be a positive number, got \(divValue)"))
            }
            let last = cutoffs.count - 1
            if projectionSize(last, hiddenSize: h) < 1 {
                throw QuillError.invalidSetting(.init(.adaptiveDivValue, divValue, "adaptiveDivValue \(divValue) leaves cluster \(last + 1) a projection of no features: hiddenSize \(h) / \(divValue)^\(last + 1) < 1",
                                                      related: [.hiddenSize, .adaptiveSoftmax]))
            }
        }

        /// The tensors under the names PyTorch's module has when it is a model's `decoder`:
        /// `decoder.head.weight` (head outputs, H), `decoder.head.bias`, and per cluster i
        /// `decoder.tail.i.0.weight` (projection, H) and `decoder.tail.i.1.weight` (cluster size, projection).
        public func parameterShapes(vocabularySize v: Int, hiddenSize h: Int) -> [(name: String, shape: [Int])] {
            var shapes: [(String, [Int])] = [("decoder.head.weight", [headSize, h]), ("decoder.head.bias", [headSize])]
            for i in 0..<clusterCount {
                let p = projectionSize(i, hiddenSize: h)
                shapes.append(("decoder.tail.\(i).0.weight", [p, h]))
                shapes.append(("decoder.tail.\(i).1.weight", [cluster(i, vocabularySize: v).count, p]))
            }
            return shapes
        }
    }
}
