import Foundation
import QuillCore

/// How tokens are shown in terminal output: whitespace and control characters made visible.
package enum Display {
    /// `token` with newlines, tabs and control characters escaped, and a lone space quoted.
    public static func token(_ token: String) -> String {
        var out = ""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case " " where token.unicodeScalars.count == 1: out += "' '"
            default:
                // C1 controls too: some terminals read 0x9B as the start of an escape sequence.
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += String(format: "\\u{%X}", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
