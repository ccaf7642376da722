
/// A hash table keyed by byte strings, looked up straight from slices of a larger buffer.
///
/// The word tokenizer counts and encodes words without making a `String` per word, and keys are
/// compared byte for byte: Swift's `String` equality would merge canonically equivalent spellings
/// (say U+212B and U+00C5), which a vocabulary must keep apart.
package struct ByteSliceTable: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int] = []
    private var hashes: [UInt64] = []
    /// Open-addressing slots holding entry index + 1 (0 = empty).
    private var slots: [Int32]
    private var mask: Int

    /// An empty table sized for about `expectedCount` keys.
    public init(expectedCount: Int = 64) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [Int32](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// Number of distinct keys.
    public var count: Int { starts.count }

    /// The bytes of entry `index`.
    public func key(_ index: Int) -> ArraySlice<UInt8> { arena[starts[index]..<(starts[index] + lengths[index])] }

    @inlinable @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in 0..<length { h = (h ^ UInt64(p[i])) &* 0x100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// Index of the key, or nil when absent.
    public func find(_ p: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        let h = Self.hash(p, length)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { return nil }
            if hashes[entry] == h && matches(entry, p, length) { return entry }
            slot = (slot + 1) & mask
        }
    }

    /// The entry of `bytes`, or nil.
    public func find(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { find($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
    }

    /// Index of the key, inserting it first when absent.
    public mutating func insert(_ p: UnsafePointer<UInt8>, _ length: Int) -> Int {
        let h = Self.hash(p, length)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { break }
            if hashes[entry] == h && matches(entry, p, length) { return entry }
            slot = (slot + 1) & mask
        }
        let index = starts.count
        starts.append(arena.count)
        lengths.append(length)
        hashes.append(h)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: length))
        slots[slot] = Int32(index + 1)
        if starts.count * 2 > slots.count { grow() }
        return index
    }

    /// The entry of `bytes`, added as the next entry when absent.
    public mutating func insert(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { insert($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
    }

    private func matches(_ entry: Int, _ p: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        guard lengths[entry] == length else { return false }
        let start = starts[entry]
        return arena.withUnsafeBufferPointer { a in
            for i in 0..<length where a[start + i] != p[i] { return false }
            return true
        }
    }

    private mutating func grow() {
        let capacity = slots.count * 2
        slots = [Int32](repeating: 0, count: capacity)
        mask = capacity - 1
        for (index, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index + 1)
        }
    }
}
