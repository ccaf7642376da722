import Foundation
import Quill

/// `quill import STATE_DICT --vocab V --level L --out DIR`: a plain PyTorch state dict made into a
/// Quill checkpoint folder.
enum ImportCommand: Command {
    enum Option: CommandOption {
        case vocab, tokenizer, level, cell, out, overwrite

        var spec: OptionSpec {
            switch self {
            case .vocab: OptionSpec("vocab", .string, "the vocabulary in id order: a JSON array of tokens, or one token per line (word level)")
            case .tokenizer: OptionSpec("tokenizer", .string, "in place of --vocab: a Hugging Face tokenizer.json (GPT-2's byte-level BPE); the level is then bpe")
            case .level: OptionSpec("level", .choice(TokenLevel.allCases.map(\.rawValue)), "how the model reads text: characters or words (bpe takes --tokenizer)")
            case .cell: OptionSpec("cell", .choice(ModelConfig.Cell.allCases.map(\.rawValue)),
                                   "the cell, where the weights cannot tell (a vanilla RNN: rnn-tanh or rnn-relu); checked against the weights otherwise")
            case .out: OptionSpec("out", .string, "checkpoint folder to write")
            case .overwrite: OptionSpec("overwrite", .flag, "replace a checkpoint already in --out")
            }
        }
    }

    static let spec = CommandSpec(
        name: "import",
        summary: "Turn a PyTorch word_language_model (RNNModel) state_dict saved as safetensors into a Quill checkpoint folder.",
        positionals: [Positional("STATE_DICT", "the PyTorch state_dict, saved as safetensors")],
        options: Option.self,
        notes: ["The cell, sizes and weight tying are read from the tensors; a tied model saved with",
                "safetensors' save_model (one of the shared pair dropped) loads too. The folder holds",
                "model.safetensors for generate, perplexity, info and train --from, and a resume file:",
                "'quill train FILE --resume DIR' trains it on FILE with the default optimizer (the",
                "learning-rate flags may be given; use --from to choose every training flag)."],
        examples: ["quill import model.safetensors --vocab vocab.json --level char --out checkpoints/imported",
                   "quill import model.safetensors --tokenizer tokenizer.json --out checkpoints/subwords"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let input = try args.positional(0)
        let tokenizerFile = args.optionalString(.tokenizer)
        if tokenizerFile != nil && args.optionalString(.vocab) != nil { throw CLIError.usage("give --vocab or --tokenizer, not both") }
        guard let vocabularyFile = args.optionalString(.vocab) ?? tokenizerFile else {
            throw CLIError.usage("--vocab FILE (or --tokenizer tokenizer.json) is required: a state dict holds no vocabulary")
        }
        if tokenizerFile != nil, let named = args.optionalString(.level), named != TokenLevel.bpe.rawValue {
            throw CLIError.usage("--tokenizer reads a byte-level BPE: the level is bpe, not \(named)")
        }
        guard let levelName = tokenizerFile != nil ? TokenLevel.bpe.rawValue : args.optionalString(.level) else {
            throw CLIError.usage("--level char or --level word is required: a state dict does not say how it reads text")
        }
        if levelName == TokenLevel.bpe.rawValue && tokenizerFile == nil {
            throw CLIError.usage("a bpe model's vocabulary comes with its merges: give --tokenizer tokenizer.json instead of --vocab")
        }
        guard let folder = args.optionalString(.out) else { throw CLIError.usage("--out DIR is required") }
        if !args.flag(.overwrite) && Checkpoint.folderHoldsModel(folder) {
            throw CLIError.usage("\(folder) already holds a checkpoint; choose another --out or pass --overwrite")
        }
        for (name, value) in [("STATE_DICT", input), (tokenizerFile == nil ? "--vocab" : "--tokenizer", vocabularyFile), ("--out", folder)] where value.isEmpty {
            throw CLIError.usage("\(name) is an empty path")
        }
        let level = TokenLevel(rawValue: levelName)!
        let vocabulary = tokenizerFile != nil ? try Vocabulary(tokenizerFile: vocabularyFile) : try Vocabulary(file: vocabularyFile, level: level)
        let path = try Checkpoint.resolve(input)
        let file = try SafeTensors(contentsOf: path)
        if file.metadata["quill.config"] != nil {
            throw CLIError.usage("\(path) is already a Quill checkpoint; use it as it is")
        }
        let checkpoint = try Checkpoint(importing: file, path: path, vocabulary: vocabulary, level: level,
                                        cell: args.optionalString(.cell).flatMap(ModelConfig.Cell.init(rawValue:)))
        let options = TrainingOptions(corpus: "", outputFolder: folder)
        try Trainer.writeUnstartedRun(checkpoint, options: options, folder: folder)
        let c = checkpoint.config
        if level == .word && vocabulary.eosID == nil {
            StandardError.write("quill: warning: the vocabulary has no <eos>, so line ends cannot be read or generated at word level")
        }
        print("imported \(c.cell.rawValue) \(c.layers)×\(c.hiddenSize), embedding \(c.vocabularySize)×\(c.embeddingSize)\(c.tieWeights ? " (tied)" : ""), \(level.rawValue) level, \(Format.count(c.parameterCount)) parameters → \(folder)/\(Checkpoint.modelFile)")
    }
}
