/// The layout version of one kind of Quill file, kept as a decimal string under a key of its
/// safetensors `__metadata__`, and the one rule every kind follows:
///
/// - this Quill writes `current`;
/// - a file of a newer version is refused, the error naming both versions (`QuillError.newerFormat`);
/// - a file of an older version (down to `oldest`) is brought to the current form by `upgrade`,
///   one step per version, before anything reads it, so the readers know only the current layout;
/// - a file without the key is of version `unversioned` when the kind was written before it had a
///   key (the resume file's first layout), and refused otherwise; a value that is not a version
///   is refused.
///
/// A feature that changes a kind's layout (attention, subword tokens, adaptive softmax) raises its
/// `current` by one and adds the step from the old version to that kind's upgrade function;
/// docs/file-format.md keeps the history.
public struct FormatVersion: Sendable, Equatable {
    /// What the file is, as messages name it ("checkpoint", "resume file").
    public let kind: String
    /// The `__metadata__` key holding the version.
    public let key: String
    /// The version this Quill writes, and the newest it reads.
    public let current: Int
    /// The oldest version `upgrade` brings forward.
    public let oldest: Int
    /// The version of a file without the key (nil: such a file is refused).
    public let unversioned: Int?

    /// A kind of file: its name in messages, its metadata key, the version written now and the
    /// oldest one still read (`1 ≤ oldest ≤ current`), and the version a file without the key is.
    public init(kind: String, key: String, current: Int, oldest: Int = 1, unversioned: Int? = nil) {
        precondition(1 <= oldest && oldest <= current, "\(kind): versions must satisfy 1 ≤ oldest ≤ current")
        self.kind = kind
        self.key = key
        self.current = current
        self.oldest = oldest
        self.unversioned = unversioned
    }

    /// Checkpoints: `model.safetensors`, `latest.safetensors`, their int8 and bf16 forms, and the
    /// checkpoint half of `resume.safetensors` (`Checkpoint.upgrade(from:_:)` is its upgrade path).
    public static let checkpoint = FormatVersion(kind: "checkpoint", key: "quill.format", current: 4, oldest: 1)
    /// Resume files (`resume.safetensors`): the optimizer, carried state and progress beside a
    /// checkpoint. Format 1 had no key; `ResumeFile` reads it by its one upgrade path.
    public static let resume = FormatVersion(kind: "resume file", key: "quill.resume-format", current: 2, oldest: 1,
                                             unversioned: 1)

    /// The metadata value a file of the current version carries under `key`.
    public var stamp: String { String(current) }

    /// The version `metadata` was written in. Throws `QuillError.newerFormat` for a version above
    /// `current`, and `QuillError.badCheckpoint` when the key is missing, is not a whole number,
    /// or names a version older than `oldest`.
    public func version(of metadata: [String: String], path: String) throws -> Int {
        guard let text = metadata[key] else {
            if let unversioned { return unversioned }
            throw QuillError.badCheckpoint(path: path, problem: "no \(key) metadata (every \(kind) Quill writes names its format version there)")
        }
        guard let version = Int(text), version >= 1 else {
            throw QuillError.badCheckpoint(path: path, problem: "\(key) is '\(text)', not a format version (a whole number from 1)")
        }
        guard version <= current else {
            throw QuillError.newerFormat(path: path, kind: kind, version: version, newest: current)
        }
        guard version >= oldest else {
            throw QuillError.badCheckpoint(path: path, problem: "\(kind) format \(version) is older than this Quill reads (formats \(oldest) to \(current))")
        }
        return version
    }

    /// `metadata` in the current form: checks the version (`version(of:path:)`), then calls
    /// `step(v, &metadata)` for each v from the file's version up to `current − 1`, each step
    /// turning version v's metadata into version v + 1's; the key then holds `stamp`. A current
    /// file comes back unchanged. Tensors are not touched: a layout change that moves tensors
    /// needs its own step over the file, which no format has needed yet.
    public func upgrade(_ metadata: [String: String], path: String,
                        by step: (_ from: Int, _ metadata: inout [String: String]) throws -> Void) throws -> [String: String] {
        var upgraded = metadata
        for from in try version(of: metadata, path: path)..<current {
            try step(from, &upgraded)
        }
        upgraded[key] = stamp
        return upgraded
    }
}
