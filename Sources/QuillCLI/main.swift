import Foundation
import Quill
import QuillCPUCheck

CPUCheck.exitIfUnsupported(program: "quill")

// Entry point of `quill`: dispatch to a subcommand, turn every error into one line on stderr and
// an exit status (2 for bad usage, 1 for a failed run).

/// A command's spec and how to run it, so one list holds commands of different option types.
func entry<C: Command>(_ command: C.Type) -> (spec: CommandSpec, run: ([String]) throws -> Void) {
    (C.spec, C.parseAndRun)
}

let commands = [
    entry(TrainCommand.self), entry(GenerateCommand.self), entry(PerplexityCommand.self), entry(VocabCommand.self),
    entry(InfoCommand.self), entry(ExportVocabCommand.self), entry(ImportCommand.self), entry(QuantizeCommand.self),
    entry(SearchCommand.self), entry(ServeCommand.self), entry(InspectCommand.self), entry(EncodeCommand.self),
]

@MainActor func runCommand(_ name: String, _ arguments: [String]) throws {
    guard let command = commands.first(where: { $0.spec.name == name }) else {
        throw CLIError.usage("unknown command '\(name)'; commands: \(commands.map(\.spec.name).joined(separator: ", ")) (see 'quill --help')")
    }
    if arguments.contains("--help") || arguments.contains("-h") {
        print(Help.command(command.spec))
        return
    }
    try command.run(arguments)
}

/// Swift turns arguments that are not valid UTF-8 into U+FFFD before anything sees them, so a
/// damaged prompt or path would fail later with a misleading message; the raw bytes are checked
/// here instead.
func checkArgumentsAreUTF8() throws {
    for index in 1..<Int(CommandLine.argc) {
        guard let raw = CommandLine.unsafeArgv[index] else { continue }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
        if let offset = UTF8Scanner.firstInvalidOffset(in: bytes) {
            throw CLIError.usage("argument \(index) is not valid UTF-8 (bad byte at offset \(offset)); pass text as UTF-8")
        }
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    try checkArgumentsAreUTF8()
    switch arguments.first {
    case "help" where arguments.count > 1:
        // 'quill help train' is 'quill train --help'.
        try runCommand(arguments[1], ["--help"])
    case nil, "--help", "-h", "help":
        print(Help.overview(commands.map(\.spec)))
    case "--version", "version":
        print(Help.version)
    default:
        try runCommand(arguments[0], Array(arguments.dropFirst()))
    }
    exit(0)
} catch let error as CLIError {
    StandardError.write("quill: \(error)")
    if case .usage = error { exit(2) }
    exit(1)
} catch let error as QuillError {
    StandardError.write("quill: \(FlagNames.message(error))")
    exit(error.isUsage ? 2 : 1)
} catch {
    StandardError.write("quill: \(error.localizedDescription)")
    exit(1)
}
