import Foundation

/// Checks, before any kernel runs, that this machine has the instruction-set extensions the
/// kernels were compiled for.
///
/// Release builds compile the numeric modules for a Haswell-class (or another named) CPU, and such
/// code dies with SIGILL on a processor without AVX2 or FMA. This module is compiled without those
/// flags, so the check itself runs anywhere; `Package.swift` passes the required features down as
/// `QUILL_REQUIRES_*` conditions.
public enum CPUCheck {
    /// The features the kernels were built to use, as /proc/cpuinfo names them.
    public static var requiredFeatures: [String] {
        var features: [String] = []
        #if QUILL_REQUIRES_AVX2
        features.append("avx2")
        #endif
        #if QUILL_REQUIRES_FMA
        features.append("fma")
        #endif
        #if QUILL_REQUIRES_AVX512F
        features.append("avx512f")
        #endif
        #if QUILL_REQUIRES_AVX512BW
        features.append("avx512bw")
        #endif
        #if QUILL_REQUIRES_AVX512DQ
        features.append("avx512dq")
        #endif
        #if QUILL_REQUIRES_AVX512VL
        features.append("avx512vl")
        #endif
        #if QUILL_REQUIRES_AVX512VBMI
        features.append("avx512vbmi")
        #endif
        #if QUILL_REQUIRES_AVX512_BF16
        features.append("avx512_bf16")
        #endif
        return features
    }

    /// The required features missing from a /proc/cpuinfo text (empty when all are there, or when
    /// the text has no flags line to judge by).
    public static func missing(required: [String], cpuinfo: String) -> [String] {
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        let flags = Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        return required.filter { !flags.contains($0) }
    }

    /// One line saying what is missing, or nil when this machine can run the kernels (or when it
    /// cannot tell: no /proc/cpuinfo, as on macOS, where builds carry no such flags).
    public static func problem() -> String? {
        let required = requiredFeatures
        guard !required.isEmpty,
              let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        let absent = missing(required: required, cpuinfo: text)
        guard !absent.isEmpty else { return nil }
        return "this build of Quill needs a CPU with \(required.joined(separator: ", ")), and this one lacks "
            + "\(absent.joined(separator: ", ")); rebuild with QUILL_CPU=portable swift build -c release"
    }

    /// Prints the problem on stderr and exits 1 when the kernels cannot run here.
    public static func exitIfUnsupported(program: String) {
        guard let problem = problem() else { return }
        FileHandle.standardError.write(Data("\(program): \(problem)\n".utf8))
        exit(1)
    }
}
