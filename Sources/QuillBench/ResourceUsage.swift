import Foundation

/// Process memory figures from /proc (Linux).
enum ResourceUsage {
    /// Peak resident set size in MB (VmHWM), or nil where /proc is not available.
    static func peakResidentMB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kb = Double(fields[1]) { return kb / 1024 }
        }
        return nil
    }

    /// CPU seconds (user + system) the process has used, all threads. On a machine shared with
    /// other work, wall time swings with what else runs; at one thread the CPU time of a phase
    /// is the steadier A/B figure.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
