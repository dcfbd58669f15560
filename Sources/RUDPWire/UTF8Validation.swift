/// UTF-8 validation without allocating, for CLOSE reasons on the fast path.
///
/// `String(validating:as:)` (what ``CloseFrame`` parsing uses) builds the string, which allocates
/// for more than 15 bytes; the standard library's `UTF8Span` runs the same validation (RFC 3629:
/// no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequences) in place.
/// The equivalence tests compare the two on random and mutated byte strings.
enum UTF8Validation {
    /// Whether `bytes` are well-formed UTF-8.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.isEmpty { return true }
        let span = bytes.assumingMemoryBound(to: UInt8.self).span
        do {
            _ = try UTF8Span(validating: span)
            return true
        } catch {
            return false
        }
    }
}
