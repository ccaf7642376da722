/// A setting of the library's API that a caller chooses: a property of `TrainingOptions`,
/// `ModelConfig`, `Sampler`, or an argument of `Generator` and `PerplexityEvaluator`. Errors name
/// settings with these values, never with a command-line spelling; the `quill` tool maps each to
/// its flag when it prints an error.
public enum Setting: String, Sendable, CaseIterable, Equatable {
    // Model shape (ModelConfig, TrainingOptions)
    case vocabularySize, embeddingSize, hiddenSize, layers, cell, dropout, tieWeights, initialization, initializationRange, seed
    case attention, attentionMemory, adaptiveSoftmax, adaptiveDivValue, adaptiveSoftmaxFrom
    // Data (TrainingOptions)
    case level, mode, maxLength, minimumCount, maximumVocabulary, bytePairVocabularySize, tokenizerFile, validationFile, validationFraction, unknownPolicy
    // Optimisation (TrainingOptions)
    case batchSize, sequenceLength, optimizer, learningRate, momentum, weightDecay, clip, learningRateDecay
    case learningRateDecayAfter, decayShape, warmupSteps, decayFloor, plateauFactor, patience, freezeEmbeddings, embeddingsFile, baseCheckpoint
    // Regularisation (TrainingOptions.regularization, TrainingOptions.averageDecay)
    case embeddingDropout, weightDrop, lockedDropout, activationRegularization, temporalActivationRegularization, averageDecay
    // Limits (TrainingOptions)
    case epochs, maxSteps, maxTime, evaluateEvery, validationShare
    // Reporting (TrainingOptions)
    case sampleEvery, sampleLength, sampleTemperature, samplePrompt, keepCheckpoints, logEvery
    // Generation (Sampler, Generator)
    case temperature, topK, topP, samples, length, stop, prompt
    // Scoring that adapts (DynamicEvaluation, CacheSettings)
    case dynamicLearningRate, dynamicDecay, dynamicSegment, cacheSize, cacheTheta, cacheLambda
}

/// A setting with a value it cannot take: which setting, the value, and a one-line message that
/// names the setting, and any other it involves (`related`), by their `Setting` raw values, so a
/// caller can respell them all (the `quill` tool prints its flags instead).
public struct InvalidSetting: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setting at fault.
    public let setting: Setting
    /// The value given, as text.
    public let value: String
    /// What is wrong, naming settings by their raw values ("embeddingSize must be positive, got 0").
    public let message: String
    /// Other settings the message names.
    public let related: [Setting]

    /// An invalid value of `setting`; `message` names it and `related` by their raw values.
    public init(_ setting: Setting, _ value: Any, _ message: String, related: [Setting] = []) {
        self.setting = setting
        self.value = "\(value)"
        self.message = message
        self.related = related
    }

    /// "`setting` must be positive, got `value`".
    public static func positive(_ setting: Setting, _ value: Int) -> InvalidSetting {
        InvalidSetting(setting, value, "\(setting.rawValue) must be positive, got \(value)")
    }

    /// The message, naming settings by their raw values.
    public var description: String { message }

    /// The message with each setting it names spelt by `name`. Only whole identifiers are
    /// replaced, so `learningRate` does not touch `learningRateDecay`.
    public func describe(naming name: (Setting) -> String) -> String {
        let involved = Dictionary(([setting] + related).map { ($0.rawValue, name($0)) }, uniquingKeysWith: { a, _ in a })
        var out = "", word = ""
        for character in message {
            if character.isLetter || character.isNumber || character == "_" {
                word.append(character)
            } else {
                out += involved[word] ?? word
                word = ""
                out.append(character)
            }
        }
        return out + (involved[word] ?? word)
    }
}
