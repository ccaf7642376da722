import Quill

extension HTTPServer.Limits {
    /// Throws `QuillError.invalidValue` naming the first limit a server cannot run with: a time
    /// `TimeSpan` refuses (zero, negative, NaN, beyond a year, which would overflow the socket
    /// timeout) or a size below 1.
    public func validate() throws {
        try TimeSpan.check(idleSeconds, name: "idleSeconds")
        try TimeSpan.check(requestSeconds, name: "requestSeconds")
        for (name, value) in [("headerBytes", headerBytes), ("bodyBytes", bodyBytes), ("connections", connections)] where value < 1 {
            throw QuillError.invalidValue(name: name, value: "\(value)", problem: "must be at least 1")
        }
    }
}
