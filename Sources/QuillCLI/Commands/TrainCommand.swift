import Foundation
import Quill

/// `quill train FILE`: train a model and write checkpoints.
enum TrainCommand {
    static let spec = CommandSpec(
        name: "train",
        summary: "Train an LSTM language model on a text file and save it as a checkpoint folder.",
        positionals: ["FILE"],
        options: [
            OptionSpec("level", .choice(["char", "word"]), default: "char", "tokens are characters or words"),
            OptionSpec("mode", .choice(["stream", "lines"]), default: "stream", "stream: truncated BPTT over the whole text; lines: one padded line per row"),
            OptionSpec("max-len", .int, default: "128", "lines mode: longest line in tokens (longer lines are truncated)"),
            OptionSpec("out", .string, "checkpoint folder (default: checkpoints/<corpus name>)"),
            OptionSpec("resume", .string, "continue the run saved in this checkpoint folder"),
            OptionSpec("cell", .choice(["lstm"]), default: "lstm", "recurrent cell"),
            OptionSpec("embed", .int, default: "64", "embedding size"),
            OptionSpec("hidden", .int, default: "256", "hidden size of each layer"),
            OptionSpec("layers", .int, default: "2", "number of stacked layers"),
            OptionSpec("dropout", .float, default: "0.1", "dropout probability on embeddings, between layers and before the decoder"),
            OptionSpec("tie-weights", .flag, "share the encoder and decoder matrices (needs --embed equal to --hidden)"),
            OptionSpec("init", .choice(["pytorch", "xavier"]), default: "pytorch", "weight initialisation"),
            OptionSpec("seed", .int, default: "1", "seed for initialisation, dropout and shuffling"),
            OptionSpec("batch", .int, default: "32", "rows per batch"),
            OptionSpec("seq-len", .int, default: "64", "time steps per window (truncated BPTT length)"),
            OptionSpec("val", .string, "validation text file (default: the last --val-fraction of the text)"),
            OptionSpec("val-fraction", .float, default: "0.05", "share of the text held out for validation"),
            OptionSpec("min-count", .int, default: "1", "tokens seen fewer times map to <unk>"),
            OptionSpec("max-vocab", .int, "largest vocabulary, specials included (default: no limit)"),
            OptionSpec("optimizer", .choice(["adam", "sgd", "rmsprop"]), default: "adam", "optimizer"),
            OptionSpec("lr", .float, "learning rate (default: 0.002 for adam and rmsprop, 1 for sgd)"),
            OptionSpec("momentum", .float, default: "0", "SGD momentum"),
            OptionSpec("weight-decay", .float, default: "0", "L2 penalty added to the gradients"),
            OptionSpec("clip", .float, default: "5", "clip the global gradient norm to this (0: off)"),
            OptionSpec("lr-decay", .float, default: "1", "multiply the learning rate by this each epoch after --lr-decay-after"),
            OptionSpec("lr-decay-after", .int, default: "0", "epochs before --lr-decay starts"),
            OptionSpec("plateau-factor", .float, default: "1", "divide the learning rate by this when validation loss does not improve (1: off)"),
            OptionSpec("patience", .int, "stop after this many validations without improvement (default: never)"),
            OptionSpec("epochs", .int, default: "10", "passes over the training text"),
            OptionSpec("max-steps", .int, "stop after this many optimizer steps"),
            OptionSpec("max-time", .duration, "stop after this long, e.g. 90s, 10m, 2h"),
            OptionSpec("eval-every", .int, "validate every N steps as well as after each epoch"),
            OptionSpec("log-every", .int, default: "50", "steps between progress lines when not on a terminal"),
            OptionSpec("quiet", .flag, "print nothing but errors"),
        ],
        examples: ["quill train corpora/lighthouse.txt --max-time 2m",
                   "quill train corpus.txt --level word --embed 200 --hidden 200 --optimizer sgd --lr 20 --dropout 0.2"]
    )

    static func run(_ args: ParsedArguments) throws {
        throw CLIError.usage("'quill train' is not available yet")
    }
}
