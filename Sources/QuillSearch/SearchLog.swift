import Foundation
import QuillCore
import QuillTraining

/// The search folder's `search.jsonl`: a first line with the settings and plan, then one line per
/// finished trial, and one per trial cut short by Ctrl-C with the seconds it had used (which the
/// budget has paid). Lines are appended and flushed as trials end, so a search stopped at any
/// moment (Ctrl-C, a kill) can be resumed from it; a last line cut short by a crash is ignored.
struct SearchLog {
    static let fileName = "search.jsonl"

    /// One line of the file.
    struct Line: Codable {
        var kind: String
        var settings: HyperparameterSearch.Settings?
        var plan: SearchPlan?
        var trial: SearchTrial?
        var seconds: Double?
    }

    let path: String

    init(folder: String) { path = folder + "/" + Self.fileName }

    /// Starts a new log with its header.
    func create(settings: HyperparameterSearch.Settings, plan: SearchPlan) throws {
        try AtomicFile.write(JSONCoding.string(Line(kind: "search", settings: settings, plan: plan)) + "\n", to: path)
    }

    /// Appends a finished trial and flushes it to disk.
    func append(_ trial: SearchTrial) throws {
        try append(Line(kind: "trial", trial: trial))
    }

    /// Records the seconds a trial used before it was stopped.
    func appendStopped(seconds: Double) throws {
        try append(Line(kind: "stopped", seconds: seconds))
    }

    private func append(_ entry: Line) throws {
        let line = JSONCoding.string(entry) + "\n"
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw QuillError.io(path: path, problem: "cannot append to the search log")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(line.utf8))
            try handle.synchronize()
        } catch {
            throw QuillError.io(path: path, problem: "cannot append to the search log (\(error.localizedDescription))")
        }
    }

    /// The header, the trials recorded so far, and the seconds of trials that were stopped.
    func read() throws -> (HyperparameterSearch.Settings, SearchPlan, [SearchTrial], stoppedSeconds: Double) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw QuillError.io(path: path, problem: "no search log here (was the folder made by quill search?)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first, let header = JSONCoding.decode(Line.self, String(first)),
              header.kind == "search", let settings = header.settings, let plan = header.plan else {
            throw QuillError.badCheckpoint(path: path, problem: "the first line is not a search header")
        }
        // A line that does not decode can only be the last one, cut short by a crash.
        let entries = lines.dropFirst().compactMap { JSONCoding.decode(Line.self, String($0)) }
        return (settings, plan, entries.compactMap(\.trial), entries.compactMap(\.seconds).reduce(0, +))
    }
}
