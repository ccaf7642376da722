import Foundation
import Quill
import Synchronization

/// Generates completions from one loaded model for many connections. The weights are shared; each
/// request runs in a generation session of its own (sampler, seed, state, buffers). At most
/// `parallel` generations run at once (the model's kernels already use every core, so one at a
/// time is the default; docs/serve.md has the measurement); `capacity` bounds how many may be
/// admitted (running or waiting), and a request beyond it is refused at once rather than left to
/// wait.
public final class CompletionService: Sendable {
    /// The model and its default sampler (immutable; each request runs in a session of its own).
    public let generator: Generator
    /// The name `/v1/models` reports and requests may give.
    public let modelName: String
    /// The largest `max_tokens`.
    public let maximumTokens: Int
    /// Generations admitted at once (running or waiting).
    public let capacity: Int
    /// Generations that run at once; the others admitted wait their turn.
    public let parallel: Int

    /// Slots taken, and whether the service is shutting down.
    private struct Admission {
        var admitted = 0
        var stopping = false
    }

    private let admission = Mutex(Admission())
    /// One unit per generation that may run.
    private let turn: DispatchSemaphore

    /// A service for `generator`'s model, running `parallel` generations at once (at least 1).
    public init(generator: Generator, modelName: String, maximumTokens: Int = 1024, capacity: Int = 8, parallel: Int = 1) {
        self.generator = generator
        self.modelName = modelName
        self.maximumTokens = maximumTokens
        self.capacity = capacity
        self.parallel = max(1, parallel)
        turn = DispatchSemaphore(value: max(1, parallel))
    }

    /// Takes a slot for one generation; false when all `capacity` are taken.
    public func admit() -> Bool {
        admission.withLock { state in
            guard state.admitted < capacity, !state.stopping else { return false }
            state.admitted += 1
            return true
        }
    }

    /// Gives back a slot taken by `admit`.
    public func release() {
        admission.withLock { $0.admitted -= 1 }
    }

    /// Generations running or waiting.
    public var busy: Int {
        admission.withLock { $0.admitted }
    }

    /// Ends running generations at their next token and admits no more (shutting down).
    public func stop() {
        admission.withLock { $0.stopping = true }
    }

    private var isStopping: Bool {
        admission.withLock { $0.stopping }
    }

    /// What a completion produced.
    public struct Completion: Sendable {
        public var text: String
        public var promptTokens: Int
        public var completionTokens: Int
        /// OpenAI's finish reason: "length" or "stop".
        public var finishReason: String
    }

    /// Runs `work` in a generation's turn (`--parallel` at once): an inspection is as heavy as one.
    public func inTurn<T>(_ work: () throws -> T) rethrows -> T {
        turn.wait()
        defer { turn.signal() }
        return try work()
    }

    /// A prompt given up between its windows: the client hung up or the server is stopping.
    public struct Abandoned: Error, Sendable {}

    /// Generates one completion (call between `admit` and `release`). `onText` receives each piece
    /// of text as it becomes final and answers false when the client has gone, which ends the
    /// generation at the next token; `clientGone` is asked between the prompt's windows, so a
    /// client that hangs up during a long prompt frees its slot then. Throws
    /// `CompletionRequest.Invalid` for a prompt or sampler the model cannot take, and `Abandoned`
    /// when the prompt was given up (client gone or server stopping).
    public func complete(_ request: CompletionRequest, clientGone: () -> Bool = { false },
                         onText: (String) -> Bool = { _ in true }) throws -> Completion {
        let sampler: Sampler
        do {
            sampler = try Sampler(temperature: request.temperature, topK: request.topK, topP: request.topP)
        } catch QuillError.invalidSetting(let invalid) {
            let fields: [Setting: String] = [.temperature: "temperature", .topK: "top_k", .topP: "top_p"]
            throw CompletionRequest.Invalid(field: fields[invalid.setting], message: invalid.describe { fields[$0] ?? $0.rawValue })
        }
        turn.wait()
        defer { turn.signal() }
        let g = generator.with(sampler: sampler)
        let ids: [Int]
        do {
            ids = try g.encodePrompt(request.prompt, policy: .refuse).ids
        } catch QuillError.unknownCharacters(let characters) {
            // The library's advice names its own setting; a client can only change the prompt.
            throw CompletionRequest.Invalid(field: "prompt", message: "the prompt has characters the model never saw: \(characters.joined(separator: ", "))")
        } catch let error as QuillError {
            throw CompletionRequest.Invalid(field: "prompt", message: error.description)
        }
        let session = GenerationSession(generator: g, seed: request.seed ?? UInt64.random(in: 0...UInt64(Int64.max)))
        do {
            guard try session.feed(ids, shouldStop: { self.isStopping || clientGone() }) else { throw Abandoned() }
        } catch let error as QuillError {
            throw CompletionRequest.Invalid(field: "prompt", message: error.description)
        }
        var gone = false
        let sample = try session.generate(length: request.maxTokens, stop: request.stop, promptHasText: !ids.isEmpty,
                                          shouldStop: { gone || self.isStopping },
                                          onText: { if !onText($0) { gone = true } })
        let finish = sample.stopReason == .length || sample.stopReason == .interrupted ? "length" : "stop"
        return Completion(text: sample.text, promptTokens: ids.count, completionTokens: sample.tokens, finishReason: finish)
    }
}
