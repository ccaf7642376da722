import Foundation
import Quill

/// `quill vocab FILE`: what the tokenizer and vocabulary builder make of a text.
enum VocabCommand {
    static let spec = CommandSpec(
        name: "vocab",
        summary: "Count the tokens of a text file and show the vocabulary Quill would build from it.",
        positionals: ["FILE"],
        options: [
            OptionSpec("level", .choice(["char", "word"]), default: "char", "tokens are characters (Unicode scalars) or words"),
            OptionSpec("mode", .choice(["stream", "lines"]), default: "stream", "stream adds <eos> at word level; lines adds <bos> and <eos>"),
            OptionSpec("min-count", .int, default: "1", "tokens seen fewer times map to <unk>"),
            OptionSpec("max-vocab", .int, "largest vocabulary size, specials included (default: no limit)"),
            OptionSpec("top", .int, default: "20", "how many of the most frequent tokens to list"),
            OptionSpec("json", .flag, "print one JSON object instead of text"),
        ],
        examples: ["quill vocab corpora/lighthouse.txt", "quill vocab corpus.txt --level word --max-vocab 10000 --json"]
    )

    static func run(_ args: ParsedArguments) throws {
        let path = try args.positional(0)
        let level = TokenLevel(rawValue: args.string("level")!)!
        let minCount = try args.int("min-count", atLeast: 1)!
        let maxVocab = try args.int("max-vocab", atLeast: 1)
        let top = try args.int("top", atLeast: 0)!
        let text = try TextFile(path: path)
        let report = try VocabularyReport(text: text, level: level, minimumCount: minCount, maximumSize: maxVocab,
                                          sequenceMode: args.string("mode") == "lines", topCount: top)
        if args.flag("json") {
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
    }
}

/// One-line JSON output.
enum JSONText {
    static func line(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
