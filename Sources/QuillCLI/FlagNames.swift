import Quill

/// The command-line spelling of the library's settings, so library errors (which name settings,
/// never flags) print the flag a user types. Training settings are spelt by their row of
/// `TrainingSetting.all`; generation's by the flags of `quill generate`.
enum FlagNames {
    static func flag(_ setting: Setting) -> String {
        if let row = TrainingSetting.named(setting) { return "--" + row.flag }
        switch setting {
        case .vocabularySize: return "the vocabulary size"
        case .temperature: return "--" + GenerateCommand.Option.temperature.spec.name
        case .topK: return "--" + GenerateCommand.Option.topK.spec.name
        case .topP: return "--" + GenerateCommand.Option.topP.spec.name
        case .samples: return "--" + GenerateCommand.Option.samples.spec.name
        case .length: return "--" + GenerateCommand.Option.length.spec.name
        case .stop: return "--" + GenerateCommand.Option.stop.spec.name
        case .prompt: return "--" + GenerateCommand.Option.prompt.spec.name
        case .dynamicLearningRate: return "--" + AdaptiveOptions.Option.dynamicLR.spec.name
        case .dynamicDecay: return "--" + AdaptiveOptions.Option.dynamicDecay.spec.name
        case .dynamicSegment: return "--" + AdaptiveOptions.Option.dynamicSegment.spec.name
        case .cacheSize: return "--" + AdaptiveOptions.Option.cacheSize.spec.name
        case .cacheTheta: return "--" + AdaptiveOptions.Option.cacheTheta.spec.name
        case .cacheLambda: return "--" + AdaptiveOptions.Option.cacheLambda.spec.name
        // Every other setting is a training setting; a row missing from the table is caught by
        // TrainingSettingTests, and the library's own name is still a fair spelling.
        default: return setting.rawValue
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
