/// A left-aligned text table with a header row: columns two spaces apart, the last one unpadded. Widths count
/// characters (grapheme clusters).
///
/// Rows are added one at a time and kept as bytes, so a listing streamed in pages is turned into table rows while
/// the next page is on its way; `slotctl list` prints up to a million rows.
struct TextTable {
    private let columns: Int
    private var widths: [Int]
    /// Every cell's UTF-8, row after row.
    private var bytes: [UInt8] = []
    /// Per cell, in the same order: where its bytes end, and its width.
    private var cells: [(end: Int, width: Int32)] = []

    init(header: [String]) {
        columns = header.count
        widths = Array(repeating: 0, count: header.count)
        add(header)
    }

    /// Adds a row; missing cells are empty, cells beyond the header's columns are left out.
    mutating func add(_ row: [String]) {
        for column in 0..<columns {
            var cell = column < row.count ? row[column] : ""
            let width =
                cell.withUTF8 { utf8 in
                    bytes.append(contentsOf: utf8)
                    return utf8.allSatisfy { $0 < 0x80 } ? utf8.count : nil
                } ?? cell.count
            widths[column] = max(widths[column], width)
            cells.append((bytes.count, Int32(clamping: width)))
        }
    }

    /// The header and the rows added so far.
    var rowCount: Int { columns == 0 ? 0 : cells.count / columns - 1 }

    var text: String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + cells.count * 3)
        var start = 0
        for (index, cell) in cells.enumerated() {
            let column = index % columns
            if column == 0, index > 0 { out.append(UInt8(ascii: "\n")) }
            out.append(contentsOf: bytes[start..<cell.end])
            start = cell.end
            if column < columns - 1 {
                out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: widths[column] - Int(cell.width) + 2))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
