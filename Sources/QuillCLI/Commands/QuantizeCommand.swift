import Foundation
import Quill

/// `quill quantize CHECKPOINT OUT --to bf16|int8`: a smaller checkpoint for generation and scoring.
enum QuantizeCommand: Command {
    enum Option: CommandOption {
        case to, overwrite

        var spec: OptionSpec {
            switch self {
            case .to: OptionSpec("to", .choice([WeightFormat.bf16, .int8].map(\.rawValue)), "bf16 (half the size; PyTorch loads it too) or int8 (a quarter; Quill only)")
            case .overwrite: OptionSpec("overwrite", .flag, "replace OUT if it exists")
            }
        }
    }

    static let spec = CommandSpec(
        name: "quantize",
        summary: "Write a checkpoint with its weight matrices in bfloat16 or int8 (a scale per row), for generate and perplexity.",
        positionals: [Positional("CHECKPOINT", "a checkpoint folder or .safetensors file"), Positional("OUT", "a .safetensors file, or a folder that receives model.safetensors")],
        options: Option.self,
        notes: ["OUT is a .safetensors file, or a folder that receives model.safetensors. Biases stay",
                "float32. Training reads such a checkpoint (train --from) and trains in float32."],
        examples: ["quill quantize checkpoints/lighthouse checkpoints/lighthouse-int8 --to int8",
                   "quill generate checkpoints/lighthouse-int8 --prompt \"Wind\""]
    )

    static func run(_ args: ParsedArguments<Option>) throws {
        for (index, name) in ["CHECKPOINT", "OUT"].enumerated() where try args.positional(index).isEmpty {
            throw CLIError.usage("\(name) is an empty path")
        }
        let input = try Checkpoint.resolve(try args.positional(0))
        var out = try args.positional(1)
        guard let name = args.optionalString(.to), let format = WeightFormat(rawValue: name) else {
            throw CLIError.usage("--to bf16 or --to int8 is required")
        }
        if !out.hasSuffix(".safetensors") {
            try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            out = (out as NSString).appendingPathComponent(Checkpoint.modelFile)
        }
        if FileManager.default.fileExists(atPath: out) && !args.flag(.overwrite) {
            throw CLIError.usage("\(out) exists; choose another OUT or pass --overwrite")
        }
        if (out as NSString).standardizingPath == (input as NSString).standardizingPath {
            throw CLIError.usage("OUT is the checkpoint itself; write the quantized copy elsewhere")
        }
        let checkpoint = try Checkpoint(contentsOf: input)
        try checkpoint.write(to: out, storing: format)
        let before = (try? FileManager.default.attributesOfItem(atPath: input)[.size] as? Int) ?? 0
        let after = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        print(String(format: "wrote %@ (%@ weights): %.1f MB, from %.1f MB", out, format.rawValue, Double(after) / 1e6, Double(before) / 1e6))
    }
}
