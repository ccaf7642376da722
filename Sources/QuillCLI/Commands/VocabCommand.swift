import Foundation
import Quill

/// `quill vocab FILE`: what the tokenizer and vocabulary builder make of a text.
enum VocabCommand: Command {
    enum Option: CommandOption {
        case level, mode, minCount, maxVocab, vocabSize, top, json

        var spec: OptionSpec {
            switch self {
            case .level: OptionSpec("level", .choice(TokenLevel.allCases.map(\.rawValue)), default: "char", "tokens are characters (Unicode scalars), words, or byte-level BPE subwords (bpe)")
            case .mode: OptionSpec("mode", .choice(TrainingMode.allCases.map(\.rawValue)), default: "stream", "stream adds <eos> at word level; lines adds <bos> and <eos>")
            case .minCount: OptionSpec("min-count", .int, default: "1", "tokens seen fewer times map to <unk>", minimum: 1, maximum: 1 << 40)
            case .maxVocab: OptionSpec("max-vocab", .int, "largest vocabulary size, specials included", defaultNote: "no limit",
                                       minimum: 1, maximum: ModelConfig.limits.vocabulary)
            case .vocabSize: OptionSpec("vocab-size", .int, default: "\(TrainingOptions.defaultBytePairVocabularySize)", "bpe level: tokens to learn, counting the 256 bytes, merges and specials",
                                        minimum: 1, maximum: ModelConfig.limits.vocabulary)
            case .top: OptionSpec("top", .int, default: "20", "how many of the most frequent tokens to list", minimum: 0)
            case .json: OptionSpec("json", .flag, "print one JSON object instead of text")
            }
        }
    }

    static let spec = CommandSpec(
        name: "vocab",
        summary: "Count the tokens of a text file and show the vocabulary Quill would build from it.",
        positionals: [Positional("FILE", "the text to count")],
        options: Option.self,
        examples: ["quill vocab corpora/lighthouse.txt", "quill vocab corpus.txt --level word --max-vocab 10000 --json",
                   "quill vocab corpus.txt --level bpe --vocab-size 4096"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let path = try args.positional(0)
        let level: TokenLevel = try args.choice(.level)
        let minCount = try args.int(.minCount)
        let maxVocab = args.optionalInt(.maxVocab)
        let top = try args.int(.top)
        let text = try TextFile(path: path)
        let report = try VocabularyReport(text: text, level: level, minimumCount: minCount, maximumSize: maxVocab,
                                          sequenceMode: try args.choice(.mode, as: TrainingMode.self) == .lines, topCount: top,
                                          bytePairVocabularySize: try args.int(.vocabSize))
        if args.flag(.json) {
            let object: [String: Any] = [
                "file": path,
                "level": level.rawValue,
                "tokens": report.tokens,
                "distinct": report.distinct,
                "vocabulary_size": report.vocabularySize,
                "specials": Array(report.vocabulary.tokens.prefix(report.vocabulary.specialCount)),
                "unknown_tokens": report.unknownTokens,
                "coverage": report.coverage,
                "top": report.top.map { [$0.token, $0.count] as [Any] },
                "longest": report.longest,
                "crlf_normalized": text.normalizedLineEnds,
            ]
            print(try JSONText.line(object))
            return
        }
        let specials = report.vocabulary.tokens.prefix(report.vocabulary.specialCount).joined(separator: " ")
        print("file             \(path)")
        print("level            \(level.rawValue)")
        print("counted over     the whole file (quill train builds its vocabulary from the training part: all but the last --val-fraction, unless --val names a file)")
        if text.normalizedLineEnds > 0 {
            print("line ends        \(text.normalizedLineEnds) Windows line ends (CR LF) read as LF, as training reads them")
        }
        print("tokens           \(report.tokens)")
        print("distinct         \(report.distinct)")
        print("vocabulary size  \(report.vocabularySize) (specials: \(specials))")
        print("unknown tokens   \(report.unknownTokens)")
        print(String(format: "coverage         %.4f%%", report.coverage * 100))
        if !report.top.isEmpty {
            print("most frequent:")
            let width = report.top.map { Display.token($0.token).count }.max() ?? 0
            for (token, count) in report.top {
                let shown = Display.token(token)
                print("  \(shown.padding(toLength: width, withPad: " ", startingAt: 0))  \(count)")
            }
        }
        if !report.longest.isEmpty {
            print("longest learned:")
            for token in report.longest { print("  \(Display.token(token))  (\(token.utf8.count) bytes)") }
        }
    }
}

/// One-line JSON output.
enum JSONText {
    static func line(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
