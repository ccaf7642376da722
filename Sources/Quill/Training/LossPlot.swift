import Foundation

/// A self-contained SVG line chart of training and validation loss against steps, with labelled
/// axes, ticks and a legend; opens in any browser.
public enum LossPlot {
    /// The smallest 1, 2 or 5 × 10^k at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, floor(log10(rough)))
        for factor in [1.0, 2, 5, 10] where factor * power >= rough { return factor * power }
        return 10 * power
    }

    /// An SVG chart of training and validation loss over steps.
    public static func svg(_ history: [TrainingRecord], width: Double = 720, height: Double = 420) -> String {
        let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0
        let plotW = width - left - right, plotH = height - top - bottom
        let steps = history.map { Double($0.step) }
        let losses = history.flatMap { [$0.trainLoss, $0.validationLoss] }.filter(\.isFinite)
        let xMax = max(1, steps.max() ?? 1)
        var yMin = losses.min() ?? 0, yMax = losses.max() ?? 1
        if yMax - yMin < 1e-6 { yMin -= 0.5; yMax += 0.5 }
        let pad = (yMax - yMin) * 0.05
        yMin = max(0, yMin - pad); yMax += pad
        func x(_ v: Double) -> Double { left + v / xMax * plotW }
        func y(_ v: Double) -> Double { top + (1 - (v - yMin) / (yMax - yMin)) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">Quill training loss</text>

        """
        // Ticks at round values (1, 2 or 5 times a power of ten).
        let yStep = niceStep((yMax - yMin) / 8)
        var v = (yMin / yStep).rounded(.up) * yStep
        while v <= yMax + 1e-9 {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y(v)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(v)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(String(format: yStep < 0.1 ? "%.2f" : "%.1f", v))</text>\n"
            v += yStep
        }
        let xStep = max(1, niceStep(xMax / 8))
        var s = 0.0
        while s <= xMax + 1e-9 {
            out += "<text x=\"\(f(x(s)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(Int(s))</text>\n"
            s += xStep
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">step</text>\n"
        out += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">loss (nats per token)</text>\n"
        for (color, values) in [("#1f77b4", history.map(\.trainLoss)), ("#d62728", history.map(\.validationLoss))] {
            let points = zip(steps, values).filter { $0.1.isFinite }.map { "\(f(x($0.0))),\(f(y($0.1)))" }
            if points.count > 1 {
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            }
            for p in points {
                let xy = p.split(separator: ",")
                out += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(color)\"/>\n"
            }
        }
        let legendX = left + plotW - 130
        out += """
        <rect x="\(f(legendX))" y="\(f(top + 8))" width="120" height="44" fill="white" stroke="#999"/>
        <line x1="\(f(legendX + 8))" y1="\(f(top + 22))" x2="\(f(legendX + 30))" y2="\(f(top + 22))" stroke="#1f77b4" stroke-width="2"/>
        <text x="\(f(legendX + 36))" y="\(f(top + 26))">train</text>
        <line x1="\(f(legendX + 8))" y1="\(f(top + 40))" x2="\(f(legendX + 30))" y2="\(f(top + 40))" stroke="#d62728" stroke-width="2"/>
        <text x="\(f(legendX + 36))" y="\(f(top + 44))">validation</text>
        </svg>

        """
        return out
    }
}
