//! Makes strings from hosts safe to print on a terminal.
//!
//! VM names, hostnames and error messages come from remote systems; a
//! crafted one could carry terminal escape sequences, or Unicode's
//! invisible and direction-changing characters (after U+202E, text reads
//! right to left), so that what an operator reads is not what is there.
//! Those are shown escaped instead of being interpreted — by the printer
//! (messages) and the table renderers (cells, before their colours), the
//! only places that write for a human.

/// Replaces control, bidirectional-override and invisible formatting
/// characters with their `\u{..}` escapes.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(hidden) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Characters that do not show as themselves: C0/C1 controls, the bidi
/// embeddings, overrides and isolates, zero-width and other invisible
/// format characters, and the byte-order mark.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}')
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(super::sanitize("vm1"), "vm1");
        assert_eq!(super::sanitize("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(super::sanitize("x\ny"), "x\\ny");
    }

    #[test]
    fn escapes_invisible_and_direction_changing_characters() {
        assert_eq!(super::sanitize("vm\u{202e}txt"), "vm\\u{202e}txt");
        assert_eq!(
            super::sanitize("a\u{200b}b\u{2066}c"),
            "a\\u{200b}b\\u{2066}c"
        );
        assert_eq!(super::sanitize("café-ü"), "café-ü");
    }
}
