//! Inventory errors and how they point into the file.
//!
//! Every complaint about the file's content renders as a single
//! `PATH:LINE:COL: message` line so editors and terminals can jump straight
//! to it; the CLI prints the `Display` form verbatim.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_spanned::Spanned;

/// Everything that can go wrong while finding, reading or parsing an inventory.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// No `-i`, no `VMIGRATE_INVENTORY`, and none of the implicit places holds a file.
    #[error(
        "no inventory file found (searched: {}); pass -i PATH, set VMIGRATE_INVENTORY, \
         or create inventory.toml from inventory.example.toml",
        join_paths(.searched)
    )]
    NotFound { searched: Vec<PathBuf> },

    /// A path the user named explicitly does not exist.
    #[error("{}: no such inventory file (named by {origin}); check the path", .path.display())]
    Missing { path: PathBuf, origin: Origin },

    /// The file exists (or was named) but could not be read as UTF-8 text.
    #[error("{}: cannot read inventory: {source}{}", .path.display(), read_hint(.source))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file's content is wrong; `line` and `col` are 1-based, `col` counts characters.
    #[error("{}:{line}:{col}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
}

/// Who named an inventory path, so a "does not exist" error can say which knob to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The `-i/--inventory` command-line option.
    Flag,
    /// The `VMIGRATE_INVENTORY` environment variable.
    Env,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Flag => "-i/--inventory",
            Origin::Env => "the VMIGRATE_INVENTORY environment variable",
        })
    }
}

/// What to do about a file that could not be read, where it is clear.
fn read_hint(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidData => "; save it as UTF-8 text (the inventory is TOML)",
        ErrorKind::PermissionDenied => "; make it readable by this user",
        ErrorKind::IsADirectory => "; name the inventory file, not its directory",
        _ => "",
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

/// The text being parsed plus its path: turns byte spans into `Invalid` errors.
#[derive(Clone, Copy)]
pub(crate) struct SourceText<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl SourceText<'_> {
    /// An error located at the start of `span`. Control characters the
    /// message quotes from the file (a key named `"\r"` in toml's
    /// "unknown field" message) are escaped, so that it stays one line.
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> InventoryError {
        let (line, col) = self.line_col(span.start);
        let message: String = message.into();
        InventoryError::Invalid {
            path: self.path.to_path_buf(),
            line,
            col,
            message: escape_controls(&message),
        }
    }

    /// Runs a value check and, if it fails, blames the value's position in the file.
    pub fn check<T, U>(
        &self,
        value: &Spanned<T>,
        check: impl FnOnce(&T) -> Result<U, String>,
    ) -> Result<U, InventoryError> {
        check(value.get_ref()).map_err(|message| self.error_at(value.span(), message))
    }

    /// 1-based line and character column of a byte offset (clamped into the text,
    /// because toml reports end-of-input errors one past the last byte).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.matches('\n').count() + 1;
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// Converts a toml error into a one-line `Invalid` error.
    ///
    /// toml's own `Display` is a multi-line excerpt with carets; we keep only
    /// its message and replace Rust-isms (`i64`, `sequence`, `map`) with TOML words.
    pub fn toml_error(&self, err: &toml::de::Error, syntax: bool) -> InventoryError {
        let span = err.span().unwrap_or(0..0);
        let message = one_line(err.message());
        let message = if syntax {
            syntax_message(&message)
        } else {
            let at = self.text.get(span.clone()).unwrap_or_default();
            schema_message(&message, at)
        };
        self.error_at(span, message)
    }
}

fn escape_controls(message: &str) -> String {
    if !message.chars().any(char::is_control) {
        return message.to_owned();
    }
    message
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn one_line(message: &str) -> String {
    let parts: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join("; ")
}

fn syntax_message(message: &str) -> String {
    if message == "duplicate key" {
        return "invalid TOML: duplicate key; each key may appear only once per table".into();
    }
    format!("invalid TOML: {message}; fix the syntax (see https://toml.io)")
}

/// `at` is the source text the error points at, used to recognise common slips.
fn schema_message(message: &str, at: &str) -> String {
    let mut message = message
        .replace("expected i64", "expected an integer")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array")
        .replace("invalid type: map", "invalid type: table")
        .replace("invalid type: sequence", "invalid type: array");
    let hint = if message.starts_with("unknown field") {
        "fix the spelling or remove the key (see inventory.example.toml)"
    } else if message.starts_with("missing field") {
        "add it to this table"
    } else if at.starts_with("[hosts]") {
        "write [[hosts]] (double brackets) once per host"
    } else if message.starts_with("invalid type: string") && !message.ends_with("a string") {
        "remove the quotes around the value"
    } else {
        "see inventory.example.toml for the expected type"
    };
    message.push_str("; ");
    message.push_str(hint);
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> SourceText<'_> {
        SourceText {
            path: Path::new("inv.toml"),
            text,
        }
    }

    #[test]
    fn line_col_is_one_based_and_counts_characters() {
        let s = src("ab\nçd = 1\n");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(3), (2, 1));
        // 'ç' is two bytes but one column.
        assert_eq!(s.line_col(5), (2, 2));
        assert_eq!(s.line_col(999), (3, 1));
    }

    #[test]
    fn invalid_displays_as_path_line_col_message() {
        let e = src("x").error_at(0..1, "bad");
        assert_eq!(e.to_string(), "inv.toml:1:1: bad");
    }

    #[test]
    fn a_key_with_a_carriage_return_is_named_on_one_line() {
        // Found by the fuzzer: toml quotes the unknown key raw.
        let text = "[\"\\r\"]\n";
        let de = toml::de::Deserializer::parse(text).unwrap();
        let e =
            <super::super::raw::RawInventory as serde::Deserialize>::deserialize(de).unwrap_err();
        let shown = src(text).toml_error(&e, false).to_string();
        assert!(shown.contains("unknown field `\\r`"), "{shown}");
        assert!(!shown.contains(['\n', '\r']), "{shown:?}");
    }

    #[test]
    fn toml_messages_are_reduced_to_one_line() {
        assert_eq!(one_line("first\n  second\n\n"), "first; second");
    }

    #[test]
    fn schema_messages_get_a_hint() {
        assert_eq!(
            schema_message("invalid type: string \"22\", expected i64", "\"22\""),
            "invalid type: string \"22\", expected an integer; remove the quotes around the value"
        );
        assert!(
            schema_message("invalid type: map, expected a sequence", "[hosts]\n")
                .ends_with("write [[hosts]] (double brackets) once per host")
        );
    }

    #[test]
    fn not_found_lists_every_searched_place() {
        let e = InventoryError::NotFound {
            searched: vec![
                "./inventory.toml".into(),
                "/c/vmigrate/inventory.toml".into(),
            ],
        };
        let shown = e.to_string();
        assert!(shown.contains("./inventory.toml, /c/vmigrate/inventory.toml"));
        assert!(shown.contains("-i PATH"));
        assert!(shown.contains("inventory.example.toml"));
    }
}
