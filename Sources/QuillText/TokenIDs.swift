
/// Token ids of a whole corpus, stored as `UInt16` when the vocabulary fits in 65,536 ids and as
/// `UInt32` otherwise, so a 100 MB corpus costs 200–400 MB of ids rather than gigabytes.
public struct TokenIDs: Sendable, Equatable, RandomAccessCollection {
    enum Storage: Sendable, Equatable {
        case narrow([UInt16])
        case wide([UInt32])
    }

    private(set) var storage: Storage

    /// Builds ids by calling `fill` with an append function; the width follows `vocabularySize`.
    public init(capacity: Int, vocabularySize: Int, _ fill: (_ append: (UInt32) -> Void) -> Void) {
        if vocabularySize <= 1 << 16 {
            var ids: [UInt16] = []
            ids.reserveCapacity(capacity)
            fill { ids.append(UInt16(truncatingIfNeeded: $0)) }
            storage = .narrow(ids)
        } else {
            var ids: [UInt32] = []
            ids.reserveCapacity(capacity)
            fill { ids.append($0) }
            storage = .wide(ids)
        }
    }

    /// Ids from a sequence; the width follows `vocabularySize`.
    public init<S: Sequence>(_ ids: S, vocabularySize: Int) where S.Element: BinaryInteger {
        self.init(capacity: ids.underestimatedCount, vocabularySize: vocabularySize) { append in
            for id in ids { append(UInt32(id)) }
        }
    }

    /// Bytes per id (2 or 4).
    public var bytesPerID: Int {
        if case .narrow = storage { return 2 }
        return 4
    }

    /// Always 0.
    public var startIndex: Int { 0 }
    /// The number of ids.
    public var endIndex: Int {
        switch storage {
        case .narrow(let a): return a.count
        case .wide(let a): return a.count
        }
    }

    /// The id at `position`.
    @inlinable
    public subscript(position: Int) -> Int { element(position) }

    @usableFromInline
    func element(_ i: Int) -> Int {
        switch storage {
        case .narrow(let a): return Int(a[i])
        case .wide(let a): return Int(a[i])
        }
    }
}
