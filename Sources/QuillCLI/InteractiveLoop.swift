import Foundation
import Quill

/// `quill generate --interactive`: prompts read line by line from stdin (a terminal or a pipe),
/// each continuation streamed to stdout. The state carries over from one prompt to the next, so
/// the model continues the whole conversation, until `/reset`.
struct InteractiveLoop {
    let generator: Generator
    let seed: UInt64
    let length: Int
    let stopAtEOS: Bool
    let stop: String?
    let policy: UnknownTokenPolicy

    static let help = """
        interactive: type a prompt and press Enter; the continuation follows it. The context (the
        model's state) carries over from prompt to prompt. An empty line continues the text.
          /reset   forget the context and start afresh
          /help    show this
          /quit    end (so do Ctrl-D and Ctrl-C)
        """

    /// Runs until end of input, `/quit` or Ctrl-C; returns the exit status.
    func run() throws -> Int32 {
        let terminal = isatty(STDIN_FILENO) == 1
        if terminal { StandardError.write(Self.help) }
        let output = StandardOutput()
        let session = GenerationSession(generator: generator, seed: seed)
        var atLineStart = true
        while Signals.received == 0 {
            if terminal { FileHandle.standardError.write(Data("> ".utf8)) }
            guard let line = readLine(strippingNewline: true) else { break }
            if Signals.received != 0 { break }
            switch line.trimmingCharacters(in: .whitespaces) {
            case "/quit", "/exit":
                return 0
            case "/help":
                StandardError.write(Self.help)
                continue
            case "/reset":
                session.reset()
                atLineStart = true
                StandardError.write("(context cleared)")
                continue
            default:
                break
            }
            guard let ids = encode(line) else { continue }
            // Ctrl-C during a long prompt stops it between windows and ends the session.
            guard try session.feed(ids, shouldStop: { Signals.received != 0 }) else { break }
            if !ids.isEmpty { atLineStart = false }
            let sample = try session.generate(length: length, stopAtEOS: stopAtEOS, stop: stop, promptHasText: !atLineStart,
                                              shouldStop: { Signals.received != 0 }) { output.write($0) }
            if !sample.text.isEmpty { atLineStart = sample.text.hasSuffix("\n") }
            // Each continuation ends its own line, so the next prompt starts on a fresh one.
            if !sample.text.hasSuffix("\n") { output.write("\n") }
        }
        if Signals.received != 0 {
            output.write("\n")
            return Signals.exitStatus
        }
        return 0
    }

    /// The line's token ids, or nil when `--unknown error` refuses it: the line is reported on
    /// stderr and dropped, and the session (its context) goes on with the next line.
    private func encode(_ line: String) -> [Int]? {
        do {
            let (ids, unknown) = try generator.encodePrompt(line, policy: policy)
            if !unknown.isEmpty && generator.loaded.level == .word {
                StandardError.write("quill: warning: words not in the vocabulary, read as <unk>: \(unknown.map(Display.token).joined(separator: " "))")
            }
            return ids
        } catch let error as QuillError {
            StandardError.write("quill: \(FlagNames.message(error)); the line was not used")
            return nil
        } catch {
            StandardError.write("quill: \(error); the line was not used")
            return nil
        }
    }
}
