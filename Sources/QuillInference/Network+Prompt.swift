import QuillKernels
import QuillModel

extension Network {
    /// Rows (tokens × batch rows) of a prompt run through the network in one pass. Every
    /// activation buffer grows to the largest pass (per row about (E + L·(G+2)·H)·4 bytes: 53 KB
    /// for a 2×1024 LSTM), so a window bounds a prompt's memory (14 MB for that model) whatever
    /// its length. Longer windows buy no speed: the recurrence runs one step at a time anyway, the
    /// decoder only on the last position, and the input GEMM already fills its 96-row blocks.
    package static let promptWindow = 256

    /// Tokens per pass for a prompt given to `rows` rows at once: `promptWindow` rows' worth, at
    /// least 3 (so that a window can give one to a last window of one).
    package static func promptWindow(rows: Int) -> Int { max(3, promptWindow / max(1, rows)) }

    /// Runs `tokens` through the network from `state` as one prompt, each token given to all
    /// `rows` rows, in windows of at most `window` tokens (by default `promptWindow(rows:)`) with
    /// the state carried from one to the next (as stream mode carries it in training); only the
    /// last position is decoded. Returns its (rows, V) logits in this network's buffer, valid until
    /// its next call.
    ///
    /// The result is bit-identical to one pass over all the tokens: each position's arithmetic
    /// does not depend on the other rows in its pass, except that a one-row product takes the
    /// GEMV path, so no window is made of a single token unless the prompt is one (a last window
    /// of one gives a token to it from the window before). With attention the sum over the stored
    /// states is split between the memory and the window differently, so the logits equal one
    /// pass's up to rounding, not in every bit.
    package func prime(_ tokens: [Int], rows: Int, window: Int? = nil, state: inout RecurrentState) -> UnsafeMutablePointer<Float> {
        // Nothing asks it to stop, so it runs to the end.
        prime(tokens, rows: rows, window: window, state: &state, shouldStop: { false })!
    }

    /// `prime`, asking `shouldStop` before each window after the first: a long prompt (minutes of
    /// work for megabytes of text) can be abandoned between windows when the user interrupts or
    /// the client hangs up. Returns nil when it stopped; `state` then holds a prefix's state, which
    /// the caller discards.
    package func prime(_ tokens: [Int], rows: Int, window: Int? = nil, state: inout RecurrentState,
                       shouldStop: () -> Bool) -> UnsafeMutablePointer<Float>? {
        let window = window ?? Self.promptWindow(rows: rows)
        precondition(!tokens.isEmpty && rows > 0 && window > 2, "a prompt of \(tokens.count) tokens in windows of \(window)")
        var rng = SeededGenerator(seed: 0) // unused: evaluation draws no dropout masks
        var start = 0
        var logits: UnsafeMutablePointer<Float>?
        while start < tokens.count {
            if start > 0, shouldStop() { return nil }
            var end = start + min(window, tokens.count - start)
            if tokens.count - end == 1 { end -= 1 }
            let inputs = tokens[start..<end].flatMap { id in repeatElement(Int32(id), count: rows) }
            logits = forward(inputs: inputs, steps: end - start, batch: rows, state: &state, training: false,
                             rng: &rng, lastStepOnly: true)
            start = end
        }
        return logits
    }
}
