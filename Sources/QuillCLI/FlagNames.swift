import Quill

/// The command-line spelling of the library's settings, so library errors (which name settings,
/// never flags) print the flag a user types.
enum FlagNames {
    static func flag(_ setting: Setting) -> String {
        switch setting {
        case .vocabularySize: return "the vocabulary size"
        case .embeddingSize: return "--embed"
        case .hiddenSize: return "--hidden"
        case .layers: return "--layers"
        case .cell: return "--cell"
        case .dropout: return "--dropout"
        case .tieWeights: return "--tie-weights"
        case .initializationRange: return "--init-range"
        case .level: return "--level"
        case .mode: return "--mode"
        case .maxLength: return "--max-len"
        case .minimumCount: return "--min-count"
        case .maximumVocabulary: return "--max-vocab"
        case .validationFraction: return "--val-fraction"
        case .unknownPolicy: return "--unknown"
        case .batchSize: return "--batch"
        case .sequenceLength: return "--seq-len"
        case .optimizer: return "--optimizer"
        case .learningRate: return "--lr"
        case .momentum: return "--momentum"
        case .weightDecay: return "--weight-decay"
        case .clip: return "--clip"
        case .learningRateDecay: return "--lr-decay"
        case .learningRateDecayAfter: return "--lr-decay-after"
        case .plateauFactor: return "--plateau-factor"
        case .decayShape: return "--schedule"
        case .warmupSteps: return "--warmup"
        case .decayFloor: return "--lr-floor"
        case .patience: return "--patience"
        case .freezeEmbeddings: return "--freeze-embeddings"
        case .embeddingsFile: return "--embeddings"
        case .baseCheckpoint: return "--from"
        case .embeddingDropout: return "--embedding-dropout"
        case .weightDrop: return "--weight-drop"
        case .lockedDropout: return "--locked-dropout"
        case .activationRegularization: return "--ar"
        case .temporalActivationRegularization: return "--tar"
        case .averageDecay: return "--ema"
        case .epochs: return "--epochs"
        case .maxSteps: return "--max-steps"
        case .maxTime: return "--max-time"
        case .evaluateEvery: return "--eval-every"
        case .sampleEvery: return "--sample-every"
        case .sampleLength: return "--sample-length"
        case .sampleTemperature: return "--sample-temperature"
        case .samplePrompt: return "--sample-prompt"
        case .keepCheckpoints: return "--keep"
        case .logEvery: return "--log-every"
        case .temperature: return "--temperature"
        case .topK: return "--top-k"
        case .topP: return "--top-p"
        case .samples: return "--samples"
        case .length: return "--length"
        case .stop: return "--stop"
        case .prompt: return "--prompt"
        }
    }

    /// A library error as the CLI prints it: settings as flags, and advice that names commands.
    static func message(_ error: QuillError) -> String {
        if case .notQuillCheckpoint(let path) = error {
            return "\(path): not a Quill checkpoint (no quill metadata); for a plain PyTorch state_dict pass --vocab FILE and --level, or convert it once with 'quill import'"
        }
        return error.describe(naming: flag)
    }
}
