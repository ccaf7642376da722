import QuillCore
import QuillModel

extension ParityCheck {
    /// What a PyTorch fixture file holds besides the weights: the model's shape, the (T, B)
    /// input and target ids, the initial state, dropout's masks, and the expected tensors, each
    /// checked against the shape before the model runs.
    struct Fixture {
        let file: SafeTensors
        let path: String
        let config: ModelConfig
        let input: [Int32]
        let target: [Int32]
        let steps: Int
        let batch: Int
        /// The masks PyTorch drew (dropout.mask0 for the embedding, dropout.mask{k+1} after layer
        /// k), so both sides drop the same elements; nil for a fixture without dropout.
        let dropoutMasks: [[Float]]?
        private(set) var initialState: RecurrentState

        init(_ file: SafeTensors, path: String) throws {
            self.file = file
            self.path = path
            if let name = file.metadata["cell"], ModelConfig.Cell(pytorchName: name) == nil {
                throw QuillError.badCheckpoint(path: path, problem: "fixture is for a '\(name)' cell, which Quill does not have")
            }
            var config = try LanguageModel.inferConfig(from: file, path: path)
            let masks = (0...config.layers).map { file["dropout.mask\($0)"]?.floats() ?? [] }
            if masks.allSatisfy({ !$0.isEmpty }) {
                guard let p = file.metadata["dropout"].flatMap(Float.init), p > 0, p < 1 else {
                    throw QuillError.badCheckpoint(path: path, problem: "dropout masks without a 'dropout' probability in the metadata")
                }
                config.dropout = p
                dropoutMasks = masks
            } else {
                dropoutMasks = nil
            }
            self.config = config
            let (input, shape) = try Self.ids("input", in: file, path: path, vocabularySize: config.vocabularySize)
            (self.input, steps, batch) = (input, shape[0], shape[1])
            target = try Self.ids("target", in: file, path: path, vocabularySize: config.vocabularySize).values
            initialState = RecurrentState(config: config, batchSize: shape[1]) // read below, once every field is set
            try checkMasks()
            initialState = try readInitialState()
        }

        /// The float tensor `name`.
        func floats(_ name: String) throws -> [Float] {
            guard let values = file[name]?.floats() else {
                throw QuillError.badCheckpoint(path: path, problem: "missing float tensor '\(name)'")
            }
            return values
        }

        /// The integer tensor `name`.
        func integers(_ name: String) throws -> [Int] {
            guard let values = file[name]?.integers() else {
                throw QuillError.badCheckpoint(path: path, problem: "missing integer tensor '\(name)'")
            }
            return values.map { Int($0) }
        }

        private static func ids(_ name: String, in file: SafeTensors, path: String, vocabularySize: Int) throws
            -> (values: [Int32], shape: [Int]) {
            guard let tensor = file[name], let values = tensor.integers(), tensor.shape.count == 2 else {
                throw QuillError.badCheckpoint(path: path, problem: "missing integer tensor '\(name)' of shape [T, B]")
            }
            guard values.allSatisfy({ $0 >= 0 && $0 < vocabularySize }) else {
                throw QuillError.badCheckpoint(path: path, problem: "'\(name)' has ids outside 0..<\(vocabularySize)")
            }
            return (values.map { Int32($0) }, tensor.shape)
        }

        private func checkMasks() throws {
            for (k, mask) in (dropoutMasks ?? []).enumerated() {
                let width = k == 0 ? config.embeddingSize : config.hiddenSize
                guard mask.count == steps * batch * width else {
                    throw QuillError.badCheckpoint(path: path, problem: "dropout.mask\(k) has \(mask.count) values, not T·B·\(width) = \(steps * batch * width)")
                }
            }
        }

        /// h0 and c0 from the file, zero where it has none.
        private func readInitialState() throws -> RecurrentState {
            let (l, h) = (config.layers, config.hiddenSize)
            var state = RecurrentState(config: config, batchSize: batch)
            if file["h0"] != nil { state.hidden = try floats("h0") }
            if config.cell.hasCellState && file["c0"] != nil { state.cell = try floats("c0") }
            guard state.hidden.count == l * batch * h, state.cell.count == (config.cell.hasCellState ? l * batch * h : 0) else {
                throw QuillError.badCheckpoint(path: path, problem: "h0/c0 are not shaped [L, B, H] = [\(l), \(batch), \(h)]")
            }
            if let m = config.attention?.memory, file["memory"] != nil {
                let memory = try floats("memory"), lengths = try integers("memory_lengths")
                guard memory.count == m * batch * h, lengths.count == batch, lengths.allSatisfy({ $0 >= 0 && $0 <= m }) else {
                    throw QuillError.badCheckpoint(path: path, problem: "memory is not shaped [M, B, H] = [\(m), \(batch), \(h)] with B lengths of at most M")
                }
                state.memory = memory
                state.memoryLengths = lengths
            }
            return state
        }
    }
}
