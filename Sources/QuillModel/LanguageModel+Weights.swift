import Foundation
import QuillCore
import QuillKernels

extension LanguageModel {
    /// Weights as safetensors tensors under PyTorch's names. With tied weights `decoder.weight` is
    /// written too (a copy of the encoder), so PyTorch's `load_state_dict` finds every key.
    public func weightTensors() -> [(String, SafeTensors.Tensor)] {
        var out = layout.entries.map { ($0.name, SafeTensors.Tensor(shape: $0.shape, floats: values($0.name)!)) }
        if config.tieWeights, let encoder = out.first(where: { $0.0 == "encoder.weight" }) {
            let index = out.firstIndex { $0.0 == "decoder.bias" }!
            out.insert(("decoder.weight", encoder.1), at: index)
        }
        return out
    }

    /// The weights `file` holds for `config`, after `checkWeights`.
    public init(config: ModelConfig, tensors file: SafeTensors, path: String) throws {
        try Self.checkWeights(in: file, config: config, path: path)
        try config.validate()
        let layout = ParameterLayout(shapes: config.parameterShapes)
        // Straight into the immutable storage: loading holds the file's bytes and one copy of the
        // weights, never a second.
        let storage = ImmutableBuffer<Float>(count: layout.count) { out in
            for entry in layout.entries {
                file[entry.name]!.floats()!.withUnsafeBufferPointer {
                    (out.baseAddress! + entry.offset).update(from: $0.baseAddress!, count: entry.count)
                }
            }
        }
        self.init(config: config, layout: layout, storage: storage)
    }

    /// Checks, without building a model, that `file` holds every tensor `config` needs, with the
    /// right shape, a float dtype and only finite values.
    public static func checkWeights(in file: SafeTensors, config: ModelConfig, path: String) throws {
        for (name, shape) in config.parameterShapes {
            guard let tensor = file[name] else {
                throw QuillError.badCheckpoint(path: path, problem: "missing tensor '\(name)'")
            }
            guard tensor.shape == shape else {
                throw QuillError.badCheckpoint(path: path, problem: "tensor '\(name)' has shape \(tensor.shape) but a \(config.cell.rawValue) model of this config needs \(shape)")
            }
            guard let finite = tensor.allFinite else {
                throw QuillError.badCheckpoint(path: path, problem: "tensor '\(name)' is \(tensor.dtype.rawValue), not a float type")
            }
            guard finite else {
                throw QuillError.badCheckpoint(path: path, problem: "tensor '\(name)' holds NaN or infinite values")
            }
        }
    }

    /// Infers a model's shape from a PyTorch word_language_model state dict: V and E from
    /// `encoder.weight` (or `decoder.weight`), H from `rnn.weight_hh_l0`, L from the
    /// `rnn.weight_ih_l{k}` present, the cell from the gate rows (4H LSTM, 3H GRU, H vanilla RNN).
    /// Tied weights are read from the file: only one of `encoder.weight` and `decoder.weight`
    /// (safetensors' `save_model` keeps one of a shared pair) or both bit-identical.
    /// A vanilla RNN's tanh or relu cannot be seen in the weights: `cell` (or the file's `cell`
    /// metadata) must say which, else this throws rather than guess.
    public static func inferConfig(from file: SafeTensors, path: String, cell given: ModelConfig.Cell? = nil) throws -> ModelConfig {
        func fail(_ problem: String) -> QuillError { .badCheckpoint(path: path, problem: problem) }
        let encoderTensor = file["encoder.weight"], decoderTensor = file["decoder.weight"]
        guard let embedding = encoderTensor ?? decoderTensor else {
            throw fail("missing tensor 'encoder.weight' (and no 'decoder.weight' to share it with)")
        }
        guard let recurrent = file["rnn.weight_hh_l0"]?.shape else { throw fail("missing tensor 'rnn.weight_hh_l0'") }
        let encoder = embedding.shape
        guard encoder.count == 2, recurrent.count == 2, recurrent[1] > 0, recurrent[0] % recurrent[1] == 0 else {
            throw fail("encoder.weight \(encoder) and rnn.weight_hh_l0 \(recurrent) are not shaped like a recurrent language model ([V, E] and [G·H, H])")
        }
        let fromMetadata = file.metadata["cell"].flatMap(ModelConfig.Cell.init(pytorchName:))
        let cell: ModelConfig.Cell
        switch recurrent[0] / recurrent[1] {
        case 4: cell = .lstm
        case 3: cell = .gru
        case 1:
            guard let chosen = [given, fromMetadata].compactMap({ $0 }).first(where: { $0 == .rnnTanh || $0 == .rnnRelu }) else {
                throw QuillError.invalidSetting(InvalidSetting(.cell, given?.rawValue ?? "none", "\(path): rnn.weight_hh_l0 has shape \(recurrent), a vanilla RNN, whose weights do not say whether it is tanh or relu; set cell to rnn-tanh or rnn-relu"))
            }
            cell = chosen
        default:
            throw fail("rnn.weight_hh_l0 has shape \(recurrent): \(recurrent[0] / recurrent[1])·H rows fit no cell (LSTM 4H, GRU 3H, RNN H)")
        }
        if let given, given != cell {
            throw fail("rnn.weight_hh_l0 has shape \(recurrent), which fits a \(cell.rawValue) cell, not \(given.rawValue)")
        }
        let adaptive = try adaptiveSoftmax(in: file, path: path, vocabularySize: encoder[0], hiddenSize: recurrent[1])
        let tied: Bool
        if adaptive != nil {
            tied = false
        } else if let encoderTensor, let decoderTensor {
            tied = encoderTensor.shape == decoderTensor.shape && encoderTensor.floats() == decoderTensor.floats()
        } else {
            tied = true
            guard encoder[1] == recurrent[1] else {
                throw fail("has only \(encoderTensor == nil ? "decoder.weight" : "encoder.weight"), as a tied model saved by save_model would, but its width \(encoder[1]) differs from the hidden size \(recurrent[1]), so it cannot be shared")
            }
        }
        return ModelConfig(vocabularySize: encoder[0], embeddingSize: encoder[1], hiddenSize: recurrent[1],
                           layers: try layerCount(in: file, path: path), tieWeights: tied, cell: cell,
                           attention: try attention(in: file, path: path), adaptiveSoftmax: adaptive)
    }

    /// The adaptive softmax a state dict holds: none without `decoder.head.weight`. The cutoffs
    /// follow from the shapes (head rows = shortlist + clusters, each `decoder.tail.i.1.weight`'s
    /// rows a cluster's size); the divisor from the `adaptive_div_value` metadata when present,
    /// else H / (tail 0's projection), checked against every tail's shape.
    static func adaptiveSoftmax(in file: SafeTensors, path: String, vocabularySize v: Int, hiddenSize h: Int) throws
        -> ModelConfig.AdaptiveSoftmax? {
        guard let head = file["decoder.head.weight"]?.shape else { return nil }
        func fail(_ problem: String) -> QuillError { .badCheckpoint(path: path, problem: problem) }
        var sizes: [Int] = [], projections: [Int] = []
        while let output = file["decoder.tail.\(sizes.count).1.weight"]?.shape, output.count == 2,
              let projection = file["decoder.tail.\(sizes.count).0.weight"]?.shape, projection.count == 2 {
            sizes.append(output[0])
            projections.append(projection[0])
        }
        guard head.count == 2, !sizes.isEmpty, head[0] > sizes.count else {
            throw fail("decoder.head.weight \(head) with \(sizes.count) decoder.tail clusters is not an adaptive softmax's head (shortlist + one row per cluster)")
        }
        var cutoffs = [head[0] - sizes.count]
        for size in sizes.dropLast() { cutoffs.append(cutoffs.last! + size) }
        guard cutoffs.last! + sizes.last! == v else {
            throw fail("the adaptive softmax's shortlist and clusters cover \(cutoffs.last! + sizes.last!) ids, the embedding \(v)")
        }
        guard file["decoder.head.bias"] != nil else {
            throw fail("has no decoder.head.bias: Quill's adaptive softmax is PyTorch's with head_bias=True (one made with head_bias=False loads once a zero decoder.head.bias is added)")
        }
        let divValue: Double
        if let text = file.metadata["adaptive_div_value"] {
            guard let value = Double(text) else { throw fail("adaptive_div_value metadata '\(text)' is not a number") }
            divValue = value
        } else {
            divValue = divisor(giving: projections, hiddenSize: h, cutoffs: cutoffs)
        }
        let spec = ModelConfig.AdaptiveSoftmax(cutoffs: cutoffs, divValue: divValue)
        for (i, p) in projections.enumerated() where spec.projectionSize(i, hiddenSize: h) != p {
            throw fail("decoder.tail.\(i).0.weight projects to \(p) features, but a divisor of \(divValue) gives \(spec.projectionSize(i, hiddenSize: h)) (set the adaptive_div_value metadata)")
        }
        return spec
    }

    /// A divisor d with ⌊H / d^(i+1)⌋ = `widths[i]` for every tail, which is all the divisor
    /// decides: the simplest in the interval every width allows (a whole number, then a half, then
    /// its middle), since H / widths[0] alone can miss a later tail's width by rounding. When no d
    /// fits, H / widths[0], which the caller's check then refuses naming the tail.
    package static func divisor(giving widths: [Int], hiddenSize h: Int, cutoffs: [Int]) -> Double {
        var low = 0.0, high = Double.infinity  // d in (low, high]
        for (i, w) in widths.enumerated() {
            let power = 1 / Double(i + 1)
            low = max(low, pow(Double(h) / Double(w + 1), power))
            high = min(high, pow(Double(h) / Double(max(1, w)), power))
        }
        func fits(_ d: Double) -> Bool {
            let spec = ModelConfig.AdaptiveSoftmax(cutoffs: cutoffs, divValue: d)
            return widths.indices.allSatisfy { spec.projectionSize($0, hiddenSize: h) == widths[$0] }
        }
        if low < high, high.isFinite {
            let candidates = [(low + 1).rounded(.down), (2 * low + 1).rounded(.down) / 2, (low + high) / 2]
            if let d = candidates.first(where: { $0 > low && $0 <= high && fits($0) }) { return d }
        }
        return Double(h) / Double(max(1, widths[0]))
    }

    /// The attention head a state dict holds: none without `attention.query.weight`; else M from
    /// the file's `attention_memory` metadata, which the weights cannot show.
    static func attention(in file: SafeTensors, path: String) throws -> ModelConfig.Attention? {
        guard file["attention.query.weight"] != nil else { return nil }
        guard let text = file.metadata["attention_memory"], let memory = Int(text) else {
            throw QuillError.badCheckpoint(path: path, problem: "has attention tensors but no whole-number 'attention_memory' metadata (the memory length M is not in the weights)")
        }
        return ModelConfig.Attention(memory: memory)
    }

    /// The recurrent layers a state dict holds: one more than the highest `_l{k}` of its `rnn.`
    /// tensors. A gap in the numbering (`_l0` and `_l5` only) is refused naming the first missing
    /// layer, never read as the layers below the gap.
    static func layerCount(in file: SafeTensors, path: String) throws -> Int {
        var present = Set<Int>()
        for name in file.order where name.hasPrefix("rnn.") {
            guard let marker = name.range(of: "_l", options: .backwards),
                  let k = Int(name[marker.upperBound...]), k >= 0, String(k) == name[marker.upperBound...] else { continue }
            present.insert(k)
        }
        guard let highest = present.max() else { return 0 }
        if let missing = (0...highest).first(where: { !present.contains($0) }) {
            let listed = present.sorted().map(String.init).joined(separator: ", ")
            throw QuillError.badCheckpoint(path: path, problem: "recurrent layer \(missing) is missing: the rnn tensors are numbered for layers \(listed) only")
        }
        return highest + 1
    }

    /// `file` with `encoder.weight` present: a tied model saved by safetensors' `save_model` may
    /// hold the shared matrix as `decoder.weight` only.
    public static func withEncoderWeight(_ file: SafeTensors) -> SafeTensors {
        guard file["encoder.weight"] == nil, let decoder = file["decoder.weight"] else { return file }
        var out = file
        out.set("encoder.weight", decoder)
        return out
    }
}
