/// Every error the library throws. Each case says what was wrong and where; its `description` is
/// one line fit to print after `quill: `.
public enum QuillError: Error, Equatable, CustomStringConvertible {
    /// A setting has a value it cannot take (the CLI exits 2, naming its flag).
    case invalidSetting(InvalidSetting)
    /// A value no `Setting` names (a search's `eta` or `budget`) cannot be used: its name as the
    /// API spells it, the value given, and why (the CLI exits 2).
    case invalidValue(name: String, value: String, problem: String)
    /// A file without Quill's metadata was opened as a checkpoint: a plain PyTorch state dict
    /// needs its vocabulary, level and cell from the caller (`LoadedModel(path:vocabularyFile:…)`).
    case notQuillCheckpoint(path: String)
    /// A prompt holds characters a character model's vocabulary lacks, listed once each with
    /// their code points; `UnknownTokenPolicy` chooses to skip or map them instead.
    case unknownCharacters([String])
    /// Training diverged at `step`: `problem` says how; `learningRate` is the rate at the time;
    /// `keptCheckpoint` is the folder whose best model survives, nil when nothing was saved.
    case diverged(step: Int, problem: String, learningRate: Double, keptCheckpoint: String?)
    /// A text file could not be used: `path` and what is wrong with it.
    case badText(path: String, problem: String)
    /// A checkpoint or tensor file could not be used.
    case badCheckpoint(path: String, problem: String)
    /// A file of a `kind` (`FormatVersion.kind`) was written in format `version`, newer than the
    /// `newest` this Quill reads: a newer Quill wrote it.
    case newerFormat(path: String, kind: String, version: Int, newest: Int)
    /// Training or evaluation cannot proceed (too little data, a diverging run, …).
    case runtime(String)
    /// Reading or writing a file failed at the operating-system level.
    case io(path: String, problem: String)

    /// One line, naming settings as the API spells them.
    public var description: String { describe { $0.rawValue } }

    /// One line with each setting it names spelt by `name` (the `quill` tool passes its flags).
    public func describe(naming name: (Setting) -> String) -> String {
        switch self {
        case .invalidSetting(let invalid): return invalid.describe(naming: name)
        case .invalidValue(let what, let value, let problem): return "\(what) is \(value): \(problem)"
        case .notQuillCheckpoint(let path):
            return "\(path): not a Quill checkpoint (no quill.config/quill.vocabulary metadata); a plain PyTorch state_dict needs its vocabulary and level given"
        case .unknownCharacters(let characters):
            return "the prompt has characters the model never saw: \(characters.joined(separator: ", ")); skip them or read them as <unk> (\(name(.unknownPolicy)) skip or unk)"
        case .diverged(let step, let problem, let rate, let kept):
            return "step \(step): \(problem) — the learning rate (\(rate)) is probably too high; lower \(name(.learningRate)) or set \(name(.clip)). "
                + (kept.map { "The last good checkpoint is kept in \($0)." } ?? "Nothing was saved.")
        case .badText(let path, let problem): return "\(path): \(problem)"
        case .badCheckpoint(let path, let problem): return "\(path): \(problem)"
        case .newerFormat(let path, let kind, let version, let newest):
            return "\(path): \(kind) written by format \(version); this Quill reads up to format \(newest) (a newer Quill wrote it)"
        case .runtime(let message): return message
        case .io(let path, let problem): return "\(path): \(problem)"
        }
    }

    /// True for errors the CLI reports as bad usage (exit status 2) rather than a failure (1).
    public var isUsage: Bool {
        switch self {
        case .invalidSetting, .invalidValue, .unknownCharacters: return true
        default: return false
        }
    }
}
