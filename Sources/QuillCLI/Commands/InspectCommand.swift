import Foundation
import Quill
import QuillServer

/// `quill inspect CHECKPOINT FILE --out PAGE.html`: one self-contained HTML page of what the model
/// predicts over a span of the text and which cells track which features of it.
enum InspectCommand: Command {
    enum Option: ModelLoadingOption {
        case out, start, length, topK, cells
        case model(ModelLoading.Option)

        static var allCases: [Option] { [.out, .start, .length, .topK, .cells, .model(.weights)] + ModelLoading.Option.stateDict.map(Option.model) }

        var spec: OptionSpec {
            switch self {
            case .out: OptionSpec("out", .string, "the HTML page to write (required)", valueName: "PAGE.html")
            case .start: OptionSpec("start", .int, default: "0", "first character of the span inspected (characters are Unicode scalars)",
                                    minimum: 0, maximum: 1 << 40)
            case .length:
                OptionSpec("length", .int, default: "\(InspectCommand.defaultLength)",
                           "characters inspected from --start; a longer file is cut to this span (the page stores about 100 bytes a character)",
                           minimum: 2, maximum: InspectCommand.maximumLength)
            case .topK: OptionSpec("top-k", .int, default: "5", "the model's guesses shown for each token", minimum: 1, maximum: 20)
            case .cells: OptionSpec("cells", .int, default: "5", "cells listed (and stored) per feature", minimum: 1, maximum: 20)
            case .model(let option): option.spec
            }
        }
    }

    static let defaultLength = 5_000
    /// Pages stay small enough for a browser to draw: 50,000 tokens of spans and tooltips.
    static let maximumLength = 50_000

    static let spec = CommandSpec(
        name: "inspect",
        summary: "Write one HTML page of what a model predicts over a text and which of its cells track what.",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file (or a PyTorch state dict with --vocab)"),
                      Positional("FILE", "the text to inspect")],
        options: Option.self,
        notes: Help.wrap("The page shades the text by the model's surprisal (bits), shows its top guesses for each token "
                         + "(hover, tap or arrow keys), lists the cells whose activations correlate best with simple features "
                         + "of the text (quotes, position in the line, bracket depth, …) and charts how often each layer's gates "
                         + "saturate. It loads nothing from the network; docs/inspect.md describes it."),
        examples: ["quill inspect checkpoints/lighthouse corpora/lighthouse.txt --out lighthouse.html",
                   "quill inspect checkpoints/input input.txt --start 20000 --length 3000 --out page.html"]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        let path = try args.positional(0)
        let file = try args.positional(1)
        guard let out = args.optionalString(.out), !out.isEmpty else {
            throw CLIError.usage("inspect needs --out PAGE.html, the page to write")
        }
        let start = try args.int(.start), length = try args.int(.length)
        let loaded = try ModelLoading.load(path, args)
        let scalars = String(decoding: try TextFile(path: file).bytes, as: UTF8.self).unicodeScalars
        guard start < scalars.count else {
            throw CLIError.usage("--start \(start) is past the end of \(file), which has \(scalars.count) characters")
        }
        let from = scalars.index(scalars.startIndex, offsetBy: start)
        let to = scalars.index(from, offsetBy: length, limitedBy: scalars.endIndex) ?? scalars.endIndex
        let span = String(scalars[from..<to])
        let taken = span.unicodeScalars.count
        let inspection = try ModelInspector(loaded: loaded, topK: try args.int(.topK)).inspect(text: span)
        // Said once the span is known to be inspectable, so a failure stays a single line.
        if taken < scalars.count {
            StandardError.write("quill: inspecting characters \(start)..<\(start + taken) of \(file)'s \(scalars.count) (--start and --length choose another span)")
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        let title = "\(name) on \(URL(fileURLWithPath: file).lastPathComponent)" + (taken < scalars.count ? " (characters \(start)–\(start + taken))" : "")
        let page = InspectionPage(inspection: inspection, cellsPerFeature: try args.int(.cells), title: title)
        let html = try page.html()
        try AtomicFile.write(html, to: out)
        print("wrote \(out) (\(html.utf8.count) bytes): \(inspection.tokens.count) tokens, "
              + String(format: "%.3f bits/token", inspection.bitsPerToken))
        for entry in inspection.ranking(top: 1) {
            guard let best = entry.cells.first else { continue }
            let feature = entry.feature.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0)
            print("  \(feature) layer \(best.layer + 1) unit \(best.unit) (\(best.signal == .cellState ? "cell state" : "output")) "
                  + String(format: "r = %+.3f", best.correlation))
        }
    }
}
