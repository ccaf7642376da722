import QuillKernels
import QuillModel
import QuillText

/// One stream of generation that keeps its state between calls: feed a prompt, sample a
/// continuation, feed the next prompt, and so on (interactive use), or `reset` to start afresh.
///
/// The first feed after a reset is preceded by the generator's start token, as `generate` primes
/// it. A prompt runs through the recurrence in batched passes of a bounded window of tokens, the
/// state carried from one to the next, with the decoder on its last position only, so a prompt of
/// any length needs the memory of one window; tokens after it go through `StepDecoder` for LSTM
/// models (the general forward pass for other cells).
///
/// A session is one caller's context: its state, buffers and logits are its own, so sessions on
/// one generator (and evaluations of its model) never disturb each other. One session is used by
/// one thread at a time.
public final class GenerationSession {
    /// The generator whose model and sampler this session uses.
    public let generator: Generator
    private var rng: SeededGenerator
    private var state: RecurrentState
    private let decoder: StepDecoder?
    /// The general forward pass over the generator's weights, for prompts (and every token of
    /// cells without a step decoder); made on first use.
    private lazy var network = Network(model: generator.loaded.model)
    /// Whether the state holds anything (a start token was fed).
    private var started = false
    /// A token sampled but not yet run through the model: it goes in ahead of the next feed.
    private var pending: Int?
    /// Logits for the next draw, valid after a feed or a step.
    private var logits: UnsafePointer<Float>?
    private var unusedDropoutRNG = SeededGenerator(seed: 0)
    /// Tokens per pass when priming with a prompt (nil: `Network.promptWindow`); a test sets it
    /// to run a prompt in one pass.
    package var promptWindow: Int?
    /// The most tokens this session has run through its network in one pass: what its buffers
    /// are sized by.
    package private(set) var largestPass = 0

    /// A session drawing from `seed` (the same seed as `Generator.generate`'s first sample).
    public init(generator: Generator, seed: UInt64) {
        self.generator = generator
        rng = SeededGenerator(seed: seed)
        state = RecurrentState(config: generator.loaded.model.config, batchSize: 1)
        decoder = generator.stepDecoder()
    }

    /// Forgets everything fed and generated; the next feed starts from the start token. With
    /// `seed`, the draws start again from it too (the session then repeats a fresh one's output).
    public func reset(seed: UInt64? = nil) {
        if let seed { rng = SeededGenerator(seed: seed) }
        state = RecurrentState(config: generator.loaded.model.config, batchSize: 1)
        decoder?.reset()
        started = false
        pending = nil
        logits = nil
    }

    /// Runs `ids` (from `Generator.encodePrompt`) through the model after whatever came before.
    /// A long prompt runs in windows and asks `shouldStop` between them; when it answers true the
    /// feed is abandoned, the session is reset (what it held is gone, as after `reset()`) and
    /// `feed` returns false.
    @discardableResult
    public func feed(_ ids: [Int], shouldStop: () -> Bool = { false }) throws -> Bool {
        var tokens = ids
        if let pending { tokens.insert(pending, at: 0) }
        if !started, let start = generator.startToken { tokens.insert(start, at: 0) }
        guard !tokens.isEmpty else {
            if logits == nil { throw Generator.emptyPrompt }
            return true
        }
        if let decoder, tokens.count == 1 {
            logits = decoder.step(tokens[0])
        } else {
            if let decoder, started { state = decoder.state }
            let window = promptWindow ?? Network.promptWindow
            largestPass = max(largestPass, min(tokens.count, window))
            guard let out = network.prime(tokens, rows: 1, window: window, state: &state, shouldStop: shouldStop) else {
                // The state holds part of the prompt and the logits buffer another window's draw.
                reset()
                return false
            }
            logits = UnsafePointer(out)
            decoder?.load(state)
        }
        started = true
        pending = nil
        return true
    }

    /// Samples up to `length` tokens from the current state (see `Generator.generate` for the
    /// parameters), reporting text as it becomes final. `shouldStop` is asked before each token;
    /// true ends the sample (`StopReason.interrupted`).
    public func generate(length: Int, stopAtEOS: Bool = false, stop: String? = nil, promptHasText: Bool = false,
                         shouldStop: () -> Bool = { false }, onText: (String) -> Void = { _ in }) throws -> Generator.Sample {
        try Generator.check(length: length, stop: stop)
        if logits == nil || pending != nil { try feed([]) }
        let start = MonotonicClock.seconds()
        let loaded = generator.loaded
        var writer = SampleWriter(level: loaded.level, vocabulary: loaded.vocabulary, stop: stop, atLineStart: !promptHasText)
        var sample = Generator.Sample(text: "", tokens: 0, stopReason: .length, seconds: 0)
        // Banning writes into the logits, which are this session's own (its network's or decoder's
        // buffer) until its next step.
        var current = UnsafeMutablePointer(mutating: logits!)
        for index in 0..<length {
            if shouldStop() {
                sample.stopReason = .interrupted
                break
            }
            let drawn = generator.draw(from: current, rng: &rng, writer: &writer, stopAtEOS: stopAtEOS, onText: onText)
            sample.tokens += 1
            if drawn.restartsLine { resetState() }
            // The last token drawn is run through the model by the next feed, not now: a session
            // that ends here never pays for a step nobody reads.
            if let end = drawn.end {
                sample.stopReason = end
                pending = drawn.next
                break
            }
            if index == length - 1 {
                pending = drawn.next
                break
            }
            current = UnsafeMutablePointer(mutating: step(drawn.next))
        }
        if let rest = writer.finish() { onText(rest) }
        sample.text = writer.text
        sample.seconds = MonotonicClock.seconds() - start
        // An interrupted or zero-length continuation resumes from these logits.
        logits = UnsafePointer(current)
        return sample
    }

    /// One token through the model; the logits of the next draw.
    private func step(_ token: Int) -> UnsafePointer<Float> {
        if let decoder { return decoder.step(token) }
        return UnsafePointer(network.forward(inputs: [Int32(token)], steps: 1, batch: 1, state: &state,
                                             training: false, rng: &unusedDropoutRNG))
    }

    private func resetState() {
        state = RecurrentState(config: generator.loaded.model.config, batchSize: 1)
        decoder?.reset()
    }
}
