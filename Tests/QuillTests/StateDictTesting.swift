import Foundation
import Quill
import QuillKernels

/// Small models as PyTorch would save them, for the import and quantized-file tests.
enum StateDictTesting {
    static let characters = ["<pad>", "<unk>", "a", "b", "c", "d"]

    /// A seeded `cell` model over `characters`, as its tensors under PyTorch's names.
    static func stateDict(layers: Int = 2, cell: ModelConfig.Cell = .lstm, tied: Bool = false, seed: UInt64 = 1) throws -> SafeTensors {
        let network = try Network(config: ModelConfig(vocabularySize: characters.count, embeddingSize: 4, hiddenSize: 4,
                                                      layers: layers, tieWeights: tied, cell: cell))
        var rng = SeededGenerator(seed: seed)
        network.initialize(rng: &rng)
        return SafeTensors(tensors: network.snapshot().weightTensors())
    }

    /// A checkpoint of `stateDict()` at character level.
    static func checkpoint(cell: ModelConfig.Cell = .lstm) throws -> Checkpoint {
        try Checkpoint(importing: stateDict(cell: cell), path: "dict", vocabulary: Vocabulary(tokens: characters, specialCount: 2),
                       level: .char, cell: cell)
    }
}
