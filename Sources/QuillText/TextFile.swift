import Foundation
import QuillCore

/// A text file read whole and checked: it exists, is a regular file, is not empty or blank, holds
/// no NUL bytes (a sign of a binary file) and is valid UTF-8. Errors name the file and, for bad
/// UTF-8, the byte offset. Windows line ends (CR LF) become LF, as Python's text mode (and so
/// PyTorch's word_language_model) reads them; a lone CR is kept.
package struct TextFile: Sendable {
    /// Where the text came from (a path, or a label for text in memory).
    public let path: String
    /// The file's bytes: a leading UTF-8 byte-order mark dropped, CR LF turned into LF.
    public let bytes: [UInt8]
    /// CR LF pairs turned into LF.
    public let normalizedLineEnds: Int

    /// The UTF-8 byte-order mark, which the reader drops from the start of a text.
    package static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Reads `path`; throws for a missing, unreadable, binary or non-UTF-8 file.
    public init(path: String) throws {
        try Self.checkIsRegularFile(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QuillError.io(path: path, problem: "cannot be read (permissions?)")
        }
        try self.init(path: path, bytes: [UInt8](data))
    }

    /// Throws unless `path` names a regular file (or a link to one).
    package static func checkIsRegularFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw QuillError.badText(path: path, problem: "no such file")
        }
        if isDirectory.boolValue {
            throw QuillError.badText(path: path, problem: "is a directory, not a text file")
        }
        // Reading a FIFO or a device would block or never end; only regular files (or links to
        // them) are text files here.
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            throw QuillError.badText(path: path, problem: "is not a regular file (a pipe, socket or device); save the text to a file first")
        }
    }

    /// Checks text already in memory; `path` is only used in messages.
    public init(path: String, bytes raw: [UInt8]) throws {
        self.path = path
        var bytes = raw
        if bytes.starts(with: Self.byteOrderMark) { bytes.removeFirst(Self.byteOrderMark.count) }
        if bytes.isEmpty { throw QuillError.badText(path: path, problem: "file is empty") }
        if let nul = bytes.firstIndex(of: 0) {
            throw QuillError.badText(path: path, problem: "looks like a binary file (NUL byte at offset \(nul)), not text")
        }
        if let offset = UTF8Scanner.firstInvalidOffset(in: bytes) {
            throw QuillError.badText(path: path, problem: "not valid UTF-8 (bad byte at offset \(offset))")
        }
        if bytes.allSatisfy(ASCII.isWhitespace) {
            throw QuillError.badText(path: path, problem: "contains only whitespace")
        }
        (self.bytes, normalizedLineEnds) = Self.normalizingLineEnds(bytes)
    }

    /// The bytes with every CR LF pair turned into LF, and how many there were.
    package static func normalizingLineEnds(_ bytes: [UInt8]) -> ([UInt8], Int) {
        guard bytes.contains(0x0D) else { return (bytes, 0) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var pairs = 0
        for (i, byte) in bytes.enumerated() {
            if byte == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A {
                pairs += 1
                continue
            }
            out.append(byte)
        }
        return (out, pairs)
    }
}

/// ASCII classes used by the tokenizers.
package enum ASCII {
    /// Space, tab, newline, vertical tab, form feed, carriage return: what Python's `str.split()`
    /// splits on within ASCII.
    @inlinable
    public static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
    /// The line feed byte.
    public static let newline: UInt8 = 0x0A
}
