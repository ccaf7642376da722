import Quill

/// Loading the model a command names: a Quill checkpoint, or a PyTorch state dict with `--vocab`.
enum ModelLoading {
    /// The options that say how to load a model, shared by the commands that run one.
    enum Option: CaseIterable {
        case weights, vocab, level, cell

        /// The options that load a plain PyTorch state dict: its vocabulary, level and cell.
        static let stateDict: [Option] = [.vocab, .level, .cell]

        var spec: OptionSpec {
            switch self {
            case .weights:
                OptionSpec("weights", .choice(WeightFormat.allCases.map(\.rawValue)),
                           "weight matrices as float32, bfloat16 or int8 with a scale per row (default: as the checkpoint stores them)")
            case .vocab:
                OptionSpec("vocab", .string, "vocabulary of a plain PyTorch state_dict: a JSON array of tokens in id order, or one token per line")
            case .level:
                OptionSpec("level", .choice(TokenLevel.allCases.map(\.rawValue)), "tokenization of a plain PyTorch state_dict (default: word)")
            case .cell:
                OptionSpec("cell", .choice(ModelConfig.Cell.allCases.map(\.rawValue)),
                           "cell of a plain PyTorch state_dict (read from the weights' shapes; a vanilla RNN needs rnn-tanh or rnn-relu)")
            }
        }
    }

    static func load<O: ModelLoadingOption>(_ path: String, _ args: ParsedArguments<O>) throws -> LoadedModel {
        for option in [Option.level, .cell] where args.isSet(.model(option)) && !args.isSet(.model(.vocab)) {
            let name = option.spec.name
            throw CLIError.usage("--\(name) is for PyTorch state dicts loaded with --vocab FILE; a Quill checkpoint knows its \(name)")
        }
        return try LoadedModel(path: path, vocabularyFile: args.optionalString(.model(.vocab)),
                               level: args.optionalString(.model(.level)).flatMap(TokenLevel.init(rawValue:)),
                               cell: args.optionalString(.model(.cell)).flatMap(ModelConfig.Cell.init(rawValue:)),
                               weightFormat: args.optionalString(.model(.weights)).flatMap(WeightFormat.init(rawValue:)))
    }
}

/// The options of a command that loads a model: they include `ModelLoading.Option`'s.
protocol ModelLoadingOption: CommandOption {
    static func model(_ option: ModelLoading.Option) -> Self
}
