/// Lengths of time as every Quill surface reads, bounds and prints them: training's `maxTime`, a
/// search's budget, the server's timeouts. One reader and one limit, so `1e30` or a time that
/// overflows the integers a clock or a socket timeout takes is refused in one place, the same way
/// everywhere, instead of trapping wherever it is first turned into an integer.
public enum TimeSpan {
    /// The longest time Quill takes, a year in seconds: far beyond any run, and far below where
    /// seconds stop fitting in the integers that timeouts, plans and printed hours use.
    public static let maximumSeconds: Double = 31_536_000

    /// `maximumSeconds` as the tool spells a time.
    public static let maximumText = "8760h"

    /// The seconds `text` spells, or nil when it is not a time: plain seconds (`90`, `1.5`), or a
    /// number with a unit (`90s`, `10m`, `1.5h`), or the compound times `text(_:)` prints (`4m11s`,
    /// `1h05m`: units from largest to smallest, each once). Digits and one point only: signs,
    /// exponents (`1e30`), hexadecimal, `inf`, `nan` and spaces are not times. The value is not
    /// range-checked (`problem(_:)` does that), so a huge time reads as huge and can be refused as such.
    public static func seconds(_ text: String) -> Double? {
        if let value = plainNumber(Substring(text)) { return value }
        let units: [Character: Double] = ["h": 3600, "m": 60, "s": 1]
        var total = 0.0, start = text.startIndex, previous = Double.infinity
        for index in text.indices {
            guard let scale = units[text[index]] else { continue }
            guard scale < previous, let value = plainNumber(text[start..<index]) else { return nil }
            total += value * scale
            previous = scale
            start = text.index(after: index)
        }
        guard start == text.endIndex, previous.isFinite else { return nil }
        return total
    }

    /// Why `seconds` is not a time Quill takes, or nil when it is: more than zero and at most
    /// `maximumSeconds`.
    public static func problem(_ seconds: Double) -> String? {
        if seconds.isNaN || seconds <= 0 { return "must be more than 0 s" }
        if !(seconds <= maximumSeconds) { return "must be at most \(maximumText) (a year)" }
        return nil
    }

    /// Throws `QuillError.invalidValue` named `name` unless `seconds` is a time Quill takes.
    public static func check(_ seconds: Double, name: String) throws {
        if let problem = problem(seconds) {
            throw QuillError.invalidValue(name: name, value: "\(seconds) s", problem: "a time \(problem)")
        }
    }

    /// Seconds as the tool prints them: `1h02m`, `3m05s`, `42s` (rounded to the second, hours
    /// to the minute). A value beyond what a whole number of seconds holds prints as `?`.
    public static func text(_ seconds: Double) -> String {
        guard seconds.magnitude < 1e15, let s = Int(exactly: seconds.rounded()) else { return "?" }
        let sign = s < 0 ? "-" : "", m = s.magnitude
        func twoDigits(_ n: UInt) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if m >= 3600 { return "\(sign)\(m / 3600)h\(twoDigits((m % 3600) / 60))m" }
        if m >= 60 { return "\(sign)\(m / 60)m\(twoDigits(m % 60))s" }
        return "\(sign)\(m)s"
    }

    /// Digits with at most one point and at least one digit, as a Double.
    private static func plainNumber(_ text: Substring) -> Double? {
        var digits = 0, points = 0
        for byte in text.utf8 {
            if (48...57).contains(byte) { digits += 1 } else if byte == 46 { points += 1 } else { return nil }
        }
        guard digits > 0, points <= 1 else { return nil }
        return Double(text)
    }
}
