import Foundation
import QuillCore

/// A text file opened for reading in pieces, checked on opening as `TextFile` checks a file read
/// whole (one pass over it, a chunk at a time), with the same errors at the same byte offsets. Its
/// bytes are read on demand, from any offset, so a huge file never has to fit in memory.
///
/// The bytes are the file's own: a leading byte-order mark is skipped (`textStart`), but CR LF
/// pairs are left for the reader to treat as LF, as `TextFile` turns them into LF.
package final class TextFileReader {
    /// Where the text came from.
    public let path: String
    /// The file's size in bytes when it was opened.
    public let size: Int
    /// Offset of the text's first byte: 3 after a UTF-8 byte-order mark, else 0.
    public let textStart: Int
    /// The file's last byte (the text is never empty).
    public let lastByte: UInt8
    /// Bytes of the text as `TextFile` holds it (after the byte-order mark, CR LF read as LF).
    public private(set) var textByteCount = 0
    /// Unicode scalars of that text: what bits per character divides by.
    public private(set) var characterCount = 0
    private let descriptor: Int32

    /// Opens and checks `path`; throws what `TextFile(path:)` throws for the same file.
    /// - Parameter chunkSize: bytes read at a time while checking.
    public init(path: String, chunkSize: Int = 1 << 20) throws {
        try TextFile.checkIsRegularFile(path)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw QuillError.io(path: path, problem: "cannot be read (permissions?)") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw QuillError.io(path: path, problem: "cannot be read (permissions?)")
        }
        self.path = path
        descriptor = fd
        size = Int(info.st_size)
        var start = 0
        var last: [UInt8] = [0]
        // deinit closes the descriptor only once every property is set: until then, here.
        do {
            let mark = TextFile.byteOrderMark
            var head = [UInt8](repeating: 0, count: mark.count)
            if size >= mark.count, try Self.read(fd, path: path, at: 0, into: &head[...]) == mark.count && head == mark { start = mark.count }
            if size > start { _ = try Self.read(fd, path: path, at: size - 1, into: &last[...]) }
        } catch {
            close(fd)
            throw error
        }
        textStart = start
        lastByte = last[0]
        try check(chunkSize: max(16, chunkSize))
    }

    deinit { close(descriptor) }

    /// Fills `buffer` from `offset`; returns how many bytes were read (fewer only at the end).
    public func read(at offset: Int, into buffer: inout ArraySlice<UInt8>) throws -> Int {
        try Self.read(descriptor, path: path, at: offset, into: &buffer)
    }

    private static func read(_ fd: Int32, path: String, at offset: Int, into buffer: inout ArraySlice<UInt8>) throws -> Int {
        try buffer.withUnsafeMutableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pread(fd, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if n == 0 { break }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw QuillError.io(path: path, problem: "cannot be read (\(String(cString: strerror(errno))))")
                }
                done += n
            }
            return done
        }
    }

    /// The checks of `TextFile(path:bytes:)`, in its order: empty, then a NUL byte, then invalid
    /// UTF-8, then nothing but whitespace; offsets count from the text's start, as there.
    private func check(chunkSize: Int) throws {
        if size == textStart { throw QuillError.badText(path: path, problem: "file is empty") }
        var firstNUL: Int?, firstInvalid: Int?
        var onlyWhitespace = true
        var buffer: [UInt8] = []
        var bufferStart = textStart // file offset of buffer[0]
        var offset = textStart
        var pairs = 0, scalars = 0, afterCR = false
        while offset < size {
            let carried = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: min(chunkSize, size - offset)))
            let got = try read(at: offset, into: &buffer[carried...])
            guard got == buffer.count - carried else { throw changedWhileReading() }
            offset += got
            let fresh = buffer[carried...]
            if firstNUL == nil, let nul = fresh.firstIndex(of: 0) { firstNUL = bufferStart + nul - textStart }
            if onlyWhitespace { onlyWhitespace = fresh.allSatisfy(ASCII.isWhitespace) }
            for byte in fresh {
                if UTF8Scanner.startsScalar(byte) { scalars += 1 }
                if afterCR && byte == 0x0A { pairs += 1 }
                afterCR = byte == 0x0D
            }
            // A scalar cut by the chunk's end is decoded with the next chunk's bytes.
            let (invalid, decoded) = buffer.withUnsafeBufferPointer {
                UTF8Scanner.firstInvalidOffset(in: $0, final: offset == size)
            }
            if firstInvalid == nil, let invalid { firstInvalid = bufferStart + invalid - textStart }
            let consumed = firstInvalid == nil ? decoded : buffer.count
            buffer.removeFirst(consumed)
            bufferStart += consumed
        }
        if let nul = firstNUL {
            throw QuillError.badText(path: path, problem: "looks like a binary file (NUL byte at offset \(nul)), not text")
        }
        if let invalid = firstInvalid {
            throw QuillError.badText(path: path, problem: "not valid UTF-8 (bad byte at offset \(invalid))")
        }
        if onlyWhitespace { throw QuillError.badText(path: path, problem: "contains only whitespace") }
        textByteCount = size - textStart - pairs
        characterCount = scalars - pairs
    }

    /// The error for a file that ended sooner than its size said (it changed while being read).
    public func changedWhileReading() -> QuillError {
        QuillError.io(path: path, problem: "changed while it was being read")
    }
}
