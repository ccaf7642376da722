import Quill

/// Loading the model a command names: a Quill checkpoint, or a PyTorch state dict with `--vocab`.
enum ModelLoading {
    static func load(_ path: String, _ args: ParsedArguments) throws -> LoadedModel {
        for flag in ["level", "cell"] where args.isSet(flag) && !args.isSet("vocab") {
            throw CLIError.usage("--\(flag) is for PyTorch state dicts loaded with --vocab FILE; a Quill checkpoint knows its \(flag)")
        }
        return try LoadedModel(path: path, vocabularyFile: args.string("vocab"),
                               level: args.string("level").flatMap(TokenLevel.init(rawValue:)),
                               cell: args.string("cell").flatMap(ModelConfig.Cell.init(rawValue:)),
                               weightFormat: args.string("weights").flatMap(WeightFormat.init(rawValue:)))
    }

    /// The `--weights` option of the commands that run a model.
    static let weightsOption = OptionSpec("weights", .choice(WeightFormat.allCases.map(\.rawValue)),
                                          "weight matrices as float32, bfloat16 or int8 with a scale per row (default: as the checkpoint stores them)")

    /// The options that load a plain PyTorch state dict: its vocabulary, level and cell.
    static let stateDictOptions = [
        OptionSpec("vocab", .string, "vocabulary of a plain PyTorch state_dict: a JSON array of tokens in id order, or one token per line"),
        OptionSpec("level", .choice(["char", "word"]), "tokenization of a plain PyTorch state_dict (default: word)"),
        OptionSpec("cell", .choice(ModelConfig.Cell.allCases.map(\.rawValue)), "cell of a plain PyTorch state_dict (read from the weights' shapes; a vanilla RNN needs rnn-tanh or rnn-relu)"),
    ]
}
