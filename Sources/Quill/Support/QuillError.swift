/// Every error the library throws. Each case says what was wrong and where; its `description` is
/// one line fit to print after `quill: `.
public enum QuillError: Error, Equatable, CustomStringConvertible {
    /// The command line asked for something impossible (the CLI exits 2).
    case usage(String)
    /// A text file could not be used: `path` and what is wrong with it.
    case badText(path: String, problem: String)
    /// A checkpoint or tensor file could not be used.
    case badCheckpoint(path: String, problem: String)
    /// Training or evaluation cannot proceed (too little data, a diverging run, …).
    case runtime(String)
    /// Reading or writing a file failed at the operating-system level.
    case io(path: String, problem: String)

    public var description: String {
        switch self {
        case .usage(let message): return message
        case .badText(let path, let problem): return "\(path): \(problem)"
        case .badCheckpoint(let path, let problem): return "\(path): \(problem)"
        case .runtime(let message): return message
        case .io(let path, let problem): return "\(path): \(problem)"
        }
    }

    /// True for errors the CLI reports as bad usage (exit status 2) rather than a failure (1).
    public var isUsage: Bool {
        if case .usage = self { return true }
        return false
    }
}
