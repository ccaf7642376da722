extension LanguageModel {
    /// Weights as safetensors tensors under PyTorch's names. With tied weights `decoder.weight` is
    /// written too (a copy of the encoder), so PyTorch's `load_state_dict` finds every key.
    public func weightTensors() -> [(String, SafeTensors.Tensor)] {
        var out = parameters.entries.map { ($0.name, SafeTensors.Tensor(shape: $0.shape, floats: parameters.array($0.name))) }
        if config.tieWeights, let encoder = out.first(where: { $0.0 == "encoder.weight" }) {
            let index = out.firstIndex { $0.0 == "decoder.bias" }!
            out.insert(("decoder.weight", encoder.1), at: index)
        }
        return out
    }

    /// Copies weights from `file` after `checkWeights`.
    public func loadWeights(from file: SafeTensors, path: String) throws {
        try Self.checkWeights(in: file, config: config, path: path)
        for entry in parameters.entries {
            parameters.set(entry.name, file[entry.name]!.floats()!)
        }
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
    /// `encoder.weight`, H from `rnn.weight_hh_l0`, L from the `rnn.weight_ih_l{k}` present, the cell
    /// from the gate rows (4H LSTM, 3H GRU, H vanilla RNN). A vanilla RNN's tanh or relu cannot be
    /// seen in the weights: `cell` (or the file's `cell` metadata) says which; tanh otherwise.
    public static func inferConfig(from file: SafeTensors, path: String, cell given: ModelConfig.Cell? = nil) throws -> ModelConfig {
        func shape(_ name: String) throws -> [Int] {
            guard let t = file[name] else { throw QuillError.badCheckpoint(path: path, problem: "missing tensor '\(name)'") }
            return t.shape
        }
        let encoder = try shape("encoder.weight")
        let recurrent = try shape("rnn.weight_hh_l0")
        guard encoder.count == 2, recurrent.count == 2, recurrent[1] > 0, recurrent[0] % recurrent[1] == 0 else {
            throw QuillError.badCheckpoint(path: path, problem: "encoder.weight \(encoder) and rnn.weight_hh_l0 \(recurrent) are not shaped like a recurrent language model ([V, E] and [G·H, H])")
        }
        let fromMetadata = file.metadata["cell"].flatMap(ModelConfig.Cell.init(pytorchName:))
        let cell: ModelConfig.Cell
        switch recurrent[0] / recurrent[1] {
        case 4: cell = .lstm
        case 3: cell = .gru
        case 1: cell = [given, fromMetadata].compactMap { $0 }.first { $0 == .rnnTanh || $0 == .rnnRelu } ?? .rnnTanh
        default:
            throw QuillError.badCheckpoint(path: path, problem: "rnn.weight_hh_l0 has shape \(recurrent): \(recurrent[0] / recurrent[1])·H rows fit no cell (LSTM 4H, GRU 3H, RNN H)")
        }
        if let given, given != cell {
            throw QuillError.badCheckpoint(path: path, problem: "rnn.weight_hh_l0 has shape \(recurrent), which fits a \(cell.rawValue) cell, not \(given.rawValue)")
        }
        var layers = 0
        while file["rnn.weight_ih_l\(layers)"] != nil { layers += 1 }
        return ModelConfig(vocabularySize: encoder[0], embeddingSize: encoder[1], hiddenSize: recurrent[1], layers: layers,
                           cell: cell)
    }
}
