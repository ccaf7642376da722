import Glibc

/// Reads the `host[:port]` of a Host header or an origin (RFC 3986's authority without user
/// information): a name, a dotted IPv4 address or a bracketed IPv6 address, and a port of at most
/// five digits.
enum HostHeader {
    /// The host (IPv6 addresses without their brackets, in lower case) and the port, or nil when
    /// `authority` is not of that form.
    static func split(_ authority: String) -> (host: String, port: Int?)? {
        let lower = authority.lowercased()
        var host = lower, port: Substring?
        if lower.hasPrefix("[") {
            guard let close = lower.firstIndex(of: "]") else { return nil }
            host = String(lower[lower.index(after: lower.startIndex)..<close])
            var in6 = in6_addr()
            guard inet_pton(AF_INET6, host, &in6) == 1 else { return nil }
            let rest = lower[lower.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return nil }
                port = rest.dropFirst()
            }
        } else {
            let parts = lower.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty,
                  parts[0].utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || "-._~".utf8.contains($0) })
            else { return nil }
            host = String(parts[0])
            port = parts.count == 2 ? parts[1] : nil
        }
        guard let port else { return (host, nil) }
        guard !port.isEmpty, port.count <= 5, port.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let n = Int(port), n <= 65535
        else { return nil }
        return (host, n)
    }

    /// Whether a Host header names a loopback address (127.0.0.0/8 or ::1) or `localhost`, on any port.
    static func namesLoopback(_ value: String) -> Bool {
        guard let (host, _) = split(value) else { return false }
        if host == "localhost" || ipv4(host)?.first == 127 { return true }
        var in6 = in6_addr(), loopback = in6_addr()
        guard inet_pton(AF_INET6, host, &in6) == 1, inet_pton(AF_INET6, "::1", &loopback) == 1 else { return false }
        return withUnsafeBytes(of: &in6) { a in withUnsafeBytes(of: &loopback) { b in a.elementsEqual(b) } }
    }

    /// The four bytes of a dotted IPv4 address in plain decimal (no octal or hexadecimal parts,
    /// which would name another address than they seem to), or nil.
    static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  part.count == 1 || part.first != "0", let n = UInt8(part) else { return nil }
            bytes.append(n)
        }
        return bytes
    }
}
