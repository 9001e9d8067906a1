//! Makes strings from hosts safe to print on a terminal.
//!
//! VM names, hostnames and error messages come from remote systems; a
//! crafted one could carry terminal escape sequences. Control characters are
//! shown escaped instead of being interpreted.

/// Replaces control characters with their `\u{..}` escapes.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(super::sanitize("vm1"), "vm1");
        assert_eq!(super::sanitize("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(super::sanitize("x\ny"), "x\\ny");
    }
}
