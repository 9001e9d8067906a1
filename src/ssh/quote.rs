//! Shell quoting for the few remote commands vmigrate runs over SSH.
//!
//! An SSH "exec" request is a single string that the remote user's shell
//! parses, so every argument — paths from the inventory, VM disk paths, file
//! names — is wrapped in single quotes here and nowhere else. Callers hand
//! over an argv, never a pre-built command line.

/// Quotes one argument for a POSIX shell: `it's` becomes `'it'\''s'`.
pub fn quote(arg: &str) -> String {
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('\'');
    for c in arg.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Joins an argv into one command line, quoting every argument.
pub fn command_line<S: AsRef<str>>(argv: &[S]) -> String {
    argv.iter()
        .map(|a| quote(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn quotes_plain_and_hostile_strings() {
        assert_eq!(quote("abc"), "'abc'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
    }

    /// The real test: a local POSIX shell gets back exactly the bytes we quoted.
    #[test]
    fn round_trips_through_sh() {
        let hostile = [
            "a b",
            "$(touch /tmp/vmigrate-pwned)",
            "`id`",
            "x'; rm -rf /; echo '",
            "new\nline",
            "*",
            "\\",
            "--help",
            "ünïcødé",
        ];
        for s in hostile {
            let line = format!("printf %s {}", quote(s));
            let out = Command::new("sh").arg("-c").arg(&line).output().unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), s, "for {line}");
        }
        assert!(!std::path::Path::new("/tmp/vmigrate-pwned").exists());
    }

    #[test]
    fn joins_argv() {
        assert_eq!(
            command_line(&["df", "-Pk", "--", "/a b"]),
            "'df' '-Pk' '--' '/a b'"
        );
    }
}
