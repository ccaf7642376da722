import Foundation
import Quill

/// An inspection as a web page: the data object the renderer (`InspectionRenderer`) draws, and a
/// self-contained HTML document that carries both (`quill inspect` writes it; `quill serve`'s
/// Inspect tab fetches the data alone and draws it with the same renderer).
///
/// The data (docs/inspect.md describes every field) stores numbers as small integers: surprisal
/// in hundredths of a bit, probabilities in ten-thousandths, correlations and saturation in
/// thousandths, and only the ranked cells' activations, each quantised to int8 against its
/// largest magnitude and stored in base64, and with an attention head each token's (at most 8)
/// most-attended tokens as (tokens back, thousandths), so a page of 5,000 characters stays well
/// under 2 MB.
public struct InspectionPage: Sendable {
    /// Version of the data object's layout.
    public static let formatVersion = 1

    /// What is drawn.
    public let inspection: Inspection
    /// Cells listed per feature.
    public let cellsPerFeature: Int
    /// Named in the page's title and heading (e.g. the checkpoint and the file).
    public let title: String

    /// - Parameters:
    ///   - cellsPerFeature: how many of the best-ranked cells each feature lists (and stores).
    public init(inspection: Inspection, cellsPerFeature: Int = 5, title: String) {
        self.inspection = inspection
        self.cellsPerFeature = max(1, cellsPerFeature)
        self.title = title
    }

    /// The data object as JSON text that may stand inside a `<script>` element: every `<` is
    /// written `\u003c`, so no `</script>` or `<!--` in the text can end or bend the element.
    public func dataJSON() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: dataObject(), options: [.withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }

    /// The whole page: one document with its styles, script and data inline, fetching nothing.
    public func html() throws -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Quill inspect: \(Self.escapeHTML(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; margin: 1rem auto; padding: 0 1rem; max-width: 80rem; color: #1d1d1f; background: #fafafa; }
        \(InspectionRenderer.css)
        </style>
        </head>
        <body>
        <main id="quill-inspect"></main>
        <script type="application/json" id="quill-inspect-data">\(try dataJSON())</script>
        <script>
        \(InspectionRenderer.script)
        QuillInspect.render(document.getElementById('quill-inspect'), JSON.parse(document.getElementById('quill-inspect-data').textContent));
        </script>
        </body>
        </html>

        """
    }

    /// The data object (JSON-serialisable).
    public func dataObject() -> [String: Any] {
        let inspection = inspection
        let config = inspection.config, h = config.hiddenSize
        // Token strings are stored once: ids index `vocab`, holding only the tokens the page shows.
        var local: [Int: Int] = [:], vocab: [String] = []
        func localID(_ id: Int) -> Int {
            if let known = local[id] { return known }
            local[id] = vocab.count
            vocab.append(inspection.vocabulary.tokens[id])
            return vocab.count - 1
        }
        var spans: [Int] = [], ids: [Int] = []
        spans.reserveCapacity(2 * inspection.tokens.count)
        for token in inspection.tokens {
            spans += [token.utf16Offset, token.utf16Length]
            ids.append(localID(token.id))
        }
        let guesses = inspection.guesses.map { $0.flatMap { [localID($0.id), Int(($0.probability * 10_000).rounded())] } }
        let surprisal: [Any] = inspection.surprisal.map { (bits: Double?) -> Any in
            if let bits { return Int((bits * 100).rounded()) }
            return NSNull()
        }

        // The ranked cells, each stored once however many features list it.
        var stored: [String: Int] = [:], cells: [[String: Any]] = []
        let ranking = inspection.ranking(top: cellsPerFeature)
        let features: [[String: Any]] = ranking.map { entry in
            let listed: [[String: Any]] = entry.cells.map { c in
                let key = "\(c.layer).\(c.unit)"
                if stored[key] == nil {
                    stored[key] = cells.count
                    var cell: [String: Any] = ["layer": c.layer, "unit": c.unit]
                    for signal in inspection.signals.map(\.signal) {
                        let (scale, codes) = Self.quantize(inspection.activations(layer: c.layer, unit: c.unit, signal: signal))
                        cell[signal.rawValue] = ["scale": Double(scale), "q": Data(codes.map { UInt8(bitPattern: $0) }).base64EncodedString()]
                    }
                    cells.append(cell)
                }
                return ["cell": stored[key]!, "signal": c.signal.rawValue, "r": Int((c.correlation * 1000).rounded())]
            }
            return ["name": entry.feature.rawValue, "cells": listed]
        }
        let saturation: [[String: Any]] = inspection.saturation.enumerated().map { k, s in
            ["layer": k, "gates": s.gates,
             "left": s.left.map { $0.map { Int(($0 * 1000).rounded()) } },
             "right": s.right.map { $0.map { Int(($0 * 1000).rounded()) } }]
        }
        return [
            "format": Self.formatVersion,
            "title": title,
            "model": ["cell": config.cell.rawValue, "layers": config.layers, "hidden": h, "embedding": config.embeddingSize,
                      "vocabulary": config.vocabularySize, "level": inspection.level.rawValue],
            "text": inspection.text,
            "spans": spans, "ids": ids, "vocab": vocab,
            "surprisal": surprisal, "rank": inspection.trueRank, "guesses": guesses,
            "signals": inspection.signals.map(\.signal.rawValue),
            "features": features, "cells": cells, "saturation": saturation,
            "attention": attentionObject(),
        ]
    }

    /// With an attention head: M, the attended layer, and per token its `Inspection.attention`
    /// links as pairs (how many tokens back, weight in thousandths), links that round to 0 left
    /// out; null without a head.
    private func attentionObject() -> Any {
        guard let head = inspection.config.attention, let layer = inspection.config.attentionLayer else { return NSNull() }
        let links: [[Int]] = inspection.attention.enumerated().map { i, row in
            row.compactMap { link -> [Int]? in
                let weight = Int((Double(link.weight) * 1000).rounded())
                return weight > 0 ? [i - link.position, weight] : nil
            }.flatMap { $0 }
        }
        return ["memory": head.memory, "layer": layer, "links": links]
    }

    /// int8 codes of `values` against their largest magnitude: value ≈ code · scale.
    static func quantize(_ values: [Float]) -> (scale: Float, codes: [Int8]) {
        let largest = values.reduce(0) { max($0, abs($1)) }
        guard largest > 0, largest.isFinite else { return (0, [Int8](repeating: 0, count: values.count)) }
        let scale = largest / 127
        return (scale, values.map { Int8(max(-127, min(127, ($0 / scale).rounded()))) })
    }

    static func escapeHTML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
