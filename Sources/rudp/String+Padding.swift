extension String {
    /// The string followed by spaces up to `length` characters (unchanged if longer), for columns
    /// of `rudp bench`'s summaries.
    func paddedRight(to length: Int) -> String {
        self + String(repeating: " ", count: Swift.max(0, length - count))
    }
}
