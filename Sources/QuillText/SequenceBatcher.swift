import QuillCore
import QuillKernels

/// Sequence mode: one line per row, framed as `<bos> tokens… <eos>`, truncated to at most
/// `maxLength` predicted positions and padded with `<pad>` to the longest row of its batch.
///
/// ```
///   line "the cat sat"  →  <bos> the cat sat <eos>
///   inputs  [<bos> the cat sat  ]      targets [the cat sat <eos>]      mask [1 1 1 1]
///   a shorter row in the same batch:
///   inputs  [<bos> hi  <pad> <pad>]    targets [hi <eos> <pad> <pad>]   mask [1 1 0 0]
/// ```
/// Lines are shuffled once per epoch with a generator seeded from `seed` and the epoch number, so
/// batches are the same for the same seed. Empty lines are skipped. No state crosses batches.
package struct SequenceBatcher: Sendable {
    /// Lines per batch.
    public let batchSize: Int
    /// Longest line in predicted positions; longer lines are truncated.
    public let maxLength: Int
    /// Seed of the per-epoch shuffle.
    public let seed: UInt64
    private let ids: TokenIDs
    /// Each line's id range within `ids`, without its separator.
    private let lines: [Range<Int>]
    private let padID: Int32, bosID: Int32, eosID: Int32

    /// - Parameters:
    ///   - ids: the encoded text; lines end at `separatorID` (`\n` at char level, `<eos>` at word level).
    ///   - vocabulary: supplies `<pad>`, `<bos>` and `<eos>` (required).
    public init(ids: TokenIDs, separatorID: Int?, vocabulary: Vocabulary, batchSize: Int, maxLength: Int,
                seed: UInt64) throws {
        guard batchSize > 0 else { throw QuillError.invalidSetting(.positive(.batchSize, batchSize)) }
        guard maxLength > 0 else { throw QuillError.invalidSetting(.positive(.maxLength, maxLength)) }
        let specials = try Self.specials(of: vocabulary)
        var lines: [Range<Int>] = []
        var start = 0
        for i in 0...ids.count {
            if i == ids.count || ids[i] == separatorID {
                if i > start { lines.append(start..<i) }
                start = i + 1
            }
        }
        guard !lines.isEmpty else { throw Self.noLines }
        self.ids = ids
        self.lines = lines
        self.batchSize = batchSize
        self.maxLength = maxLength
        self.seed = seed
        (padID, bosID, eosID) = (specials.pad, specials.bos, specials.eos)
    }

    /// Lines in the text.
    public var lineCount: Int { lines.count }
    /// Batches per epoch (the last may have fewer rows).
    public var count: Int { (lines.count + batchSize - 1) / batchSize }

    /// Line order for an epoch: a Fisher–Yates shuffle seeded by `seed` and `epoch`.
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<lines.count)
        var rng = SeededGenerator(seed: seed &+ 0x5EED &* UInt64(epoch + 1))
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, rng.nextInt(below: i + 1))
            }
        }
        return order
    }

    /// Batch `index` of an epoch whose line order is `order` (from `order(epoch:)`, or the identity
    /// for evaluation).
    public func batch(_ index: Int, order: [Int]) -> Batch {
        let rows = Array(order[(index * batchSize)..<min(order.count, (index + 1) * batchSize)])
        let framed: [[Int32]] = rows.map { r in
            let line = lines[r]
            var seq: [Int32] = [bosID]
            for i in line.prefix(maxLength) { seq.append(Int32(ids[i])) }
            if seq.count <= maxLength { seq.append(eosID) }
            return seq // length ≤ maxLength + 1: at most maxLength predictions
        }
        return Self.batch(framed: framed, padID: padID)
    }

    /// The error for a text without a non-empty line.
    package static let noLines = QuillError.runtime("no non-empty lines to make sequences from")

    /// The ids that frame and pad rows: `<pad>` (0 without one: padded positions are masked out
    /// whatever id they hold), `<bos>` and `<eos>`; throws when the vocabulary lacks `<bos>` or `<eos>`.
    package static func specials(of vocabulary: Vocabulary) throws -> (pad: Int32, bos: Int32, eos: Int32) {
        guard let bos = vocabulary.bosID, let eos = vocabulary.eosID else {
            throw QuillError.runtime("sequence mode needs <bos> and <eos> in the vocabulary")
        }
        return (Int32(vocabulary.padID ?? 0), Int32(bos), Int32(eos))
    }

    /// A batch of framed rows (`<bos> ids… [<eos>]`), padded with `padID` to the longest.
    package static func batch(framed: [[Int32]], padID: Int32) -> Batch {
        let b = framed.count
        let t = framed.map { $0.count - 1 }.max()!
        var inputs = [Int32](repeating: padID, count: t * b)
        var targets = [Int32](repeating: padID, count: t * b)
        var mask = [Float](repeating: 0, count: t * b)
        for (row, seq) in framed.enumerated() {
            for s in 0..<(seq.count - 1) {
                inputs[s * b + row] = seq[s]
                targets[s * b + row] = seq[s + 1]
                mask[s * b + row] = 1
            }
        }
        return Batch(steps: t, batchSize: b, inputs: inputs, targets: targets, mask: mask, continuesState: false)
    }
}
