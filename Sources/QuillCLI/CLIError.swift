import Quill

/// Errors of the command-line layer. Library errors pass through as `QuillError`.
enum CLIError: Error, CustomStringConvertible {
    case usage(String)
    case failure(String)

    var description: String {
        switch self {
        case .usage(let m), .failure(let m): return m
        }
    }
}
