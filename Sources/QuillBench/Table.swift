/// Fixed-width text tables for benchmark output (first column left-aligned, the rest right).
enum Table {
    static func row(_ cells: [String], widths: [Int]) -> String {
        var line = ""
        for (index, cell) in cells.enumerated() {
            let width = index < widths.count ? widths[index] : cell.count
            let pad = String(repeating: " ", count: max(0, width - cell.count))
            line += index == 0 ? cell + pad : " " + pad + cell
        }
        return line
    }
}
