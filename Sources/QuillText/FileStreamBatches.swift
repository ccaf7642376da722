/// `StreamBatcher`'s windows of a text file, read as they are needed: B readers, one per stream,
/// each starting at the file offset of its stream's first token (found through a `TokenIndex`),
/// so memory holds B chunks and one window, never the text.
///
/// Stream b is ids b·L ..< (b + 1)·L with L = ⌊N / B⌋, as `StreamBatcher` cuts them; window i is
/// the same `Batch` as `StreamBatcher.batch(i)`.
package final class FileStreamBatches {
    /// B: parallel streams.
    public let batchSize: Int
    /// T: time steps per window.
    public let steps: Int
    /// L: tokens per stream.
    public let streamLength: Int
    private let file: TextFileReader
    private var readers: [StreamReader]
    private var window = 0

    /// One stream's reader: the ids of its current chunk and where it is in them.
    private struct StreamReader {
        var reader: FileTokenReader
        var chunk: [UInt32] = []
        var next = 0
        /// The last id read: the first input of the next window.
        var last: Int32 = 0

        mutating func read() throws -> Int32 {
            while next == chunk.count {
                guard let ids = try reader.nextChunk() else { throw FileStreamBatches.EndOfText() }
                chunk = ids
                next = 0
            }
            next += 1
            return Int32(chunk[next - 1])
        }
    }

    /// The file ended before a stream did: it changed after `TokenIndex` read it.
    struct EndOfText: Error {}

    /// - Parameters:
    ///   - index: `TokenIndex` of `file` for the same level and vocabulary; it must hold at least
    ///     `2 · batchSize` ids.
    ///   - chunkSize: bytes each stream reads at a time.
    public init(file: TextFileReader, level: TokenLevel, vocabulary: Vocabulary, index: TokenIndex,
                batchSize: Int, steps: Int, chunkSize: Int) throws {
        precondition(batchSize > 0 && steps > 0 && index.idCount >= 2 * batchSize)
        self.file = file
        self.batchSize = batchSize
        self.steps = steps
        let length = index.idCount / batchSize
        streamLength = length
        readers = []
        readers.reserveCapacity(batchSize)
        do {
            for b in 0..<batchSize {
                let first = b * length
                let entry = index.entry(before: first)
                var stream = StreamReader(reader: FileTokenReader(file: file, level: level, vocabulary: vocabulary,
                                                                  from: entry.offset, chunkSize: chunkSize))
                for _ in entry.idIndex..<first { _ = try stream.read() }
                stream.last = try stream.read()
                readers.append(stream)
            }
        } catch is EndOfText {
            throw file.changedWhileReading()
        }
    }

    /// Windows in one pass (`StreamBatcher.count`).
    public var count: Int { (streamLength - 1 + steps - 1) / steps }

    /// The next window, or nil after the last; throws if the file changed since it was indexed.
    public func next() throws -> Batch? {
        guard window < count else { return nil }
        let t = min(steps, streamLength - 1 - window * steps)
        var inputs = [Int32](repeating: 0, count: t * batchSize)
        var targets = [Int32](repeating: 0, count: t * batchSize)
        do {
            for b in 0..<batchSize {
                for s in 0..<t {
                    let target = try readers[b].read()
                    inputs[s * batchSize + b] = readers[b].last
                    targets[s * batchSize + b] = target
                    readers[b].last = target
                }
            }
        } catch is EndOfText {
            throw file.changedWhileReading()
        }
        window += 1
        return Batch(steps: t, batchSize: batchSize, inputs: inputs, targets: targets, mask: nil,
                     continuesState: window > 1)
    }
}
