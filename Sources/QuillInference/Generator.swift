import Foundation
import QuillCheckpoint
import QuillCore
import QuillKernels
import QuillModel
import QuillText

/// Writes text with a trained model: primes the state with a start token and the prompt, then
/// samples one token at a time for a batch of independent samples, reporting each piece of text
/// as soon as it exists.
///
/// A generator is immutable and shares its model's weights; every call (a batched `generate`, each
/// `GenerationSession`) runs in a context of its own, so any number may run at once, on any threads.
public final class Generator: Sendable {
    /// Why a sample ended.
    public enum StopReason: String, Sendable {
        case length, endOfSequence = "eos", stopString = "stop", interrupted
    }

    /// One finished sample.
    public struct Sample: Sendable {
        /// Generated text (without the prompt; without the stop string when one ended it).
        public var text: String
        /// Tokens sampled.
        public var tokens: Int
        /// Why the sample ended.
        public var stopReason: StopReason
        /// Wall time from the start of generation to this sample's end.
        public var seconds: Double
    }

    /// The model sampled from.
    public let loaded: LoadedModel
    /// How each token is drawn.
    public let sampler: Sampler

    /// The batch-1 decoders' weights (in `loaded.weightFormat`; quantizing copies them), or nil
    /// for cells `StepDecoder` does not run.
    private let stepWeights: StepWeights?

    /// A generator for `loaded`, drawing tokens with `sampler`.
    public convenience init(loaded: LoadedModel, sampler: Sampler) {
        let stepWeights = StepDecoder.supports(loaded.model.config)
            ? StepWeights(model: loaded.model, format: loaded.weightFormat) : nil
        self.init(loaded: loaded, sampler: sampler, stepWeights: stepWeights)
    }

    private init(loaded: LoadedModel, sampler: Sampler, stepWeights: StepWeights?) {
        self.loaded = loaded
        self.sampler = sampler
        self.stepWeights = stepWeights
    }

    /// A generator for the same model drawing with `sampler`, sharing this one's batch-1 weights,
    /// so many samplers cost the weights once. A server makes one per request this way.
    public func with(sampler: Sampler) -> Generator {
        Generator(loaded: loaded, sampler: sampler, stepWeights: stepWeights)
    }

    /// A batch-1 decoder (its own state and buffers, the shared weights), or nil for cells it
    /// does not run.
    func stepDecoder() -> StepDecoder? { stepWeights.map(StepDecoder.init(weights:)) }

    /// What one draw did to a sample.
    struct Draw {
        /// The token to run through the model next: the one drawn, or `<bos>` when a line model
        /// drew `<eos>` (`restartsLine`).
        let next: Int
        /// A line model ended its line: the next line starts from the zero state, as in training.
        let restartsLine: Bool
        /// Why the sample ends with this draw, if it does.
        let end: StopReason?
    }

    /// Draws one token of a sample from its logits (banned tokens are excluded in place) and
    /// writes its text: the per-token step that `generate` and `GenerationSession` share.
    func draw(from logits: UnsafeMutablePointer<Float>, rng: inout SeededGenerator, writer: inout SampleWriter,
              stopAtEOS: Bool, onText: (String) -> Void) -> Draw {
        let v = loaded.model.config.vocabularySize
        for id in bannedTokens { logits[id] = -.infinity }
        let token = sampler.sample(logits, count: v, rng: &rng)
        if stopAtEOS && token == endToken && !endsAtLineInText { return Draw(next: token, restartsLine: false, end: .endOfSequence) }
        let (piece, hitStop) = writer.append(token, endingAtLine: stopAtEOS && endsAtLineInText)
        if !piece.isEmpty { onText(piece) }
        var next = token, restartsLine = false
        if loaded.mode == .lines, token == loaded.vocabulary.eosID, let bos = loaded.vocabulary.bosID {
            next = bos
            restartsLine = true
        }
        return Draw(next: next, restartsLine: restartsLine, end: hitStop)
    }

    /// A bpe model without `<eos>` ends a line with whichever token holds the newline (one of
    /// many: newlines merge with other spaces), so `stopAtEOS` looks for the newline in the text.
    var endsAtLineInText: Bool { loaded.level == .bpe && loaded.vocabulary.eosID == nil }

    /// Tokens never sampled: `<pad>` and `<bos>` are never targets.
    var bannedTokens: [Int] { [loaded.vocabulary.padID, loaded.vocabulary.bosID].compactMap { $0 } }

    /// The token `stopAtEOS` ends at: `<eos>`, or a character model's newline.
    var endToken: Int? { loaded.vocabulary.eosID ?? loaded.vocabulary.lineEndID(level: loaded.level) }

    /// Token ids of a prompt. Character level: unknown characters are an error listing them, or
    /// are skipped or mapped to `<unk>` as `policy` says. Word level: unknown words become `<unk>`
    /// (or are dropped when there is none) and are listed in `unknown` for a warning.
    public func encodePrompt(_ prompt: String, policy: UnknownTokenPolicy) throws -> (ids: [Int], unknown: [String]) {
        let vocabulary = loaded.vocabulary
        var ids: [Int] = []
        var unknown: [String] = []
        switch loaded.level {
        case .char:
            for scalar in prompt.unicodeScalars {
                if let id = vocabulary.id(for: String(scalar)) { ids.append(id); continue }
                unknown.append(String(scalar))
                if policy == .unk, let unk = vocabulary.unknownID { ids.append(unk) }
            }
            if !unknown.isEmpty && policy == .refuse {
                let listed = unknown.map { Self.describe($0.unicodeScalars.first!) }
                let distinct = Array(NSOrderedSet(array: listed)) as! [String]
                throw QuillError.unknownCharacters(distinct)
            }
        case .bpe:
            // Encoded as training text is: nothing is unknown.
            let bytes = TextFile.normalizingLineEnds(Array(prompt.utf8)).0
            ids = BytePairTokenizer().encode(bytes, vocabulary: vocabulary).ids.map { Int($0) }
        case .word:
            let words = prompt.split(whereSeparator: { $0.isASCII && $0.isWhitespace }).map(String.init)
            for word in words {
                if let id = vocabulary.id(for: word) { ids.append(id); continue }
                unknown.append(word)
                if let unk = vocabulary.unknownID { ids.append(unk) }
            }
        }
        return (ids, unknown)
    }

    /// A character for a one-line message: `'é' (U+00E9)`, or only `U+0007` for one that prints
    /// as nothing, moves the cursor or changes the terminal (controls, format characters, spaces
    /// other than U+0020, lone combining marks, unassigned code points).
    static func describe(_ scalar: Unicode.Scalar) -> String {
        let code = "U+" + String(format: "%04X", scalar.value)
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .nonspacingMark, .enclosingMark:
            return code
        case .spaceSeparator where scalar != " ":
            return code
        default:
            return "'\(scalar)' (\(code))"
        }
    }

    /// The token the state is primed with before the prompt: `<bos>` for line models, a newline
    /// for character models, `<eos>` (a line end) for word models; nil when the vocabulary has none.
    public var startToken: Int? {
        if loaded.mode == .lines, let bos = loaded.vocabulary.bosID { return bos }
        return loaded.vocabulary.lineEndID(level: loaded.level)
    }

    /// Generates `samples` continuations of `prompt` (ids from `encodePrompt`), each with its own
    /// generator seeded from `seed` and its index, all computed as one batch (one sample runs as a
    /// `GenerationSession`).
    /// - Parameters:
    ///   - length: tokens to sample at most.
    ///   - stopAtEOS: end a sample when it samples `<eos>`, or, for a character model without one,
    ///     the end of a line (what `<eos>` stands for in word models); the ending token is not
    ///     part of the text.
    ///   - stop: end a sample when its text contains this string (which is left out).
    ///   - promptHasText: at word level, whether text precedes the first generated word (which then
    ///     needs a leading space).
    ///   - onText: called with (sample index, text) for every piece as soon as it is final.
    public func generate(prompt: [Int], samples: Int = 1, length: Int, seed: UInt64, stopAtEOS: Bool = false,
                         stop: String? = nil, promptHasText: Bool = false,
                         onText: (Int, String) -> Void = { _, _ in }) throws -> [Sample] {
        guard samples > 0 else { throw QuillError.invalidSetting(.positive(.samples, samples)) }
        try Self.check(length: length, stop: stop)
        if samples == 1 {
            let session = GenerationSession(generator: self, seed: seed)
            try session.feed(prompt)
            return [try session.generate(length: length, stopAtEOS: stopAtEOS, stop: stop, promptHasText: promptHasText,
                                         onText: { onText(0, $0) })]
        }
        var prime = prompt
        if let startToken { prime.insert(startToken, at: 0) }
        guard !prime.isEmpty else { throw Self.emptyPrompt }
        return try generateBatch(prime: prime, samples: samples, length: length, seed: seed, stopAtEOS: stopAtEOS, stop: stop,
                                 promptHasText: promptHasText, onText: onText)
    }

    /// What `generate` and `GenerationSession.generate` both refuse: a negative length, an empty
    /// stop string.
    static func check(length: Int, stop: String?) throws {
        guard length >= 0 else { throw QuillError.invalidSetting(.init(.length, length, "length must be 0 or more, got \(length)")) }
        if let stop, stop.isEmpty { throw QuillError.invalidSetting(.init(.stop, "", "stop must not be empty")) }
    }

    /// A model without a start token has nothing to draw from until a prompt gives it a token.
    static let emptyPrompt = QuillError.invalidSetting(.init(.prompt, "", "the model has no start token; give a prompt with at least one known token"))

    /// `generate`'s samples as one batch, primed with `prime` (the start token and the prompt).
    private func generateBatch(prime: [Int], samples: Int, length: Int, seed: UInt64, stopAtEOS: Bool, stop: String?,
                               promptHasText: Bool, onText: (Int, String) -> Void) throws -> [Sample] {
        let start = MonotonicClock.seconds()
        // This call's own context: its buffers and logits are nobody else's.
        let network = Network(model: loaded.model)
        let v = network.config.vocabularySize
        var rngs = (0..<samples).map { SeededGenerator(seed: seed &+ UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }
        var unusedDropoutRNG = SeededGenerator(seed: 0)
        var state = RecurrentState(config: network.config, batchSize: samples)
        var writers = (0..<samples).map { _ in SampleWriter(level: loaded.level, vocabulary: loaded.vocabulary, stop: stop,
                                                             atLineStart: !promptHasText) }
        var results = (0..<samples).map { _ in Sample(text: "", tokens: 0, stopReason: .length, seconds: 0) }
        var done = [Bool](repeating: false, count: samples)

        // The prompt runs in windows, so only the samples bound the memory, not its length.
        let window = Network.promptWindow(rows: samples)
        try MemoryEstimate(config: network.config, batch: samples, steps: min(prime.count, window), training: false)
            .check(setting: .samples, parametersFrom: "the checkpoint", activationsFrom: "\(samples) samples")
        // The logits of the prompt's last step give the first draw.
        var logits = network.prime(prime, rows: samples, window: window, state: &state)
        var next = [Int32](repeating: 0, count: samples)
        for _ in 0..<length {
            for s in 0..<samples where !done[s] {
                let drawn = draw(from: logits + s * v, rng: &rngs[s], writer: &writers[s], stopAtEOS: stopAtEOS) { onText(s, $0) }
                next[s] = Int32(drawn.next)
                results[s].tokens += 1
                if drawn.restartsLine { state.resetRow(s) }
                if let end = drawn.end {
                    results[s].stopReason = end
                    done[s] = true
                    if let rest = writers[s].finish() { onText(s, rest) }
                    results[s].seconds = MonotonicClock.seconds() - start
                }
            }
            if done.allSatisfy({ $0 }) { break }
            logits = network.forward(inputs: next, steps: 1, batch: samples, state: &state, training: false,
                                   rng: &unusedDropoutRNG)
        }
        for s in 0..<samples {
            if !done[s] {
                if let rest = writers[s].finish() { onText(s, rest) }
                results[s].seconds = MonotonicClock.seconds() - start
            }
            results[s].text = writers[s].text
        }
        return results
    }
}

/// Turns one sample's tokens into text pieces, holding back any tail that might be the start of
/// the stop string, so streamed output never shows a stop string or half of one.
struct SampleWriter {
    let level: TokenLevel
    let vocabulary: Vocabulary
    let stop: String?
    var atLineStart: Bool
    /// Text released so far.
    private(set) var text = ""
    private var pending = ""

    init(level: TokenLevel, vocabulary: Vocabulary, stop: String?, atLineStart: Bool) {
        self.level = level
        self.vocabulary = vocabulary
        self.stop = stop
        self.atLineStart = atLineStart
    }

    /// A bpe sample's bytes not yet a whole character.
    private var assembler = UTF8Assembler()

    /// Adds a token; returns the text that became final and why the sample ends, if it does: the
    /// stop string appeared, or with `endingAtLine`, a newline (the text ends before either).
    mutating func append(_ token: Int, endingAtLine: Bool = false) -> (String, Generator.StopReason?) {
        var piece: String
        if level == .bpe {
            piece = assembler.append(vocabulary.bytes(ofToken: token))
        } else if level == .word {
            if token == vocabulary.eosID {
                piece = "\n"
                atLineStart = true
            } else {
                let word = vocabulary.displayText(token, level: .word)
                piece = word.isEmpty ? "" : (atLineStart ? word : " " + word)
                if !word.isEmpty { atLineStart = false }
            }
        } else {
            piece = vocabulary.displayText(token, level: .char)
        }
        pending += piece
        // A newline ends the sample here unless the stop string appears before it.
        let newline = endingAtLine ? pending.unicodeScalars.firstIndex(of: "\n") : nil
        let stopRange = stop.flatMap { pending.range(of: $0) }
        if let newline, stopRange.map({ newline < $0.lowerBound }) ?? true {
            let keep = String(pending.unicodeScalars[..<newline])
            pending = ""
            text += keep
            return (keep, .endOfSequence)
        }
        guard let stop else { return (release(pending.count), nil) }
        // A stop string always begins inside `pending`: release() holds back every tail that could
        // start one.
        if let range = stopRange {
            let keep = String(pending[..<range.lowerBound])
            pending = ""
            text += keep
            return (keep, .stopString)
        }
        // Hold back the longest tail of pending that is a prefix of the stop string.
        var hold = 0
        for n in stride(from: min(stop.count - 1, pending.count), through: 1, by: -1)
        where stop.hasPrefix(String(pending.suffix(n))) {
            hold = n
            break
        }
        return (release(pending.count - hold), nil)
    }

    /// Releases whatever is held back (at the end of a sample).
    mutating func finish() -> String? {
        pending += assembler.finish()
        let rest = release(pending.count)
        return rest.isEmpty ? nil : rest
    }

    private mutating func release(_ count: Int) -> String {
        let out = String(pending.prefix(count))
        pending = String(pending.dropFirst(count))
        text += out
        return out
    }
}
