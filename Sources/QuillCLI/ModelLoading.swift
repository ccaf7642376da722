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
                               weights: args.string("weights").flatMap(WeightFormat.init(rawValue:)))
    }

    /// The `--weights` option of the commands that run a model.
    static let weightsOption = OptionSpec("weights", .choice(WeightFormat.allCases.map(\.rawValue)),
                                          "weight matrices as float32, bfloat16 or int8 with a scale per row (default: as the checkpoint stores them)")
}
