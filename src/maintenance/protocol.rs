//! What runs on the host, and what it prints back.
//!
//! Paths and the mark's JSON reach the scripts as positional parameters
//! (`"$1"`…), each single-quoted by `crate::ssh::quote`, never inside the
//! script text. Setting and clearing take the claims' `.lock` (see the
//! module docs); reading needs no lock, since the mark only ever appears or
//! disappears whole (written to a temporary file, then renamed).
//!
//! Every script answers with lines: `maintenance <json>` (the mark, when
//! there is one), `claim <json>` (a live claim), then one final word; any
//! other line is an error message.

use super::Mark;
use crate::claims::{self, Claim};

/// Shell function printing `maintenance <text>` when the mark file `$1`
/// exists (its text on one line, at most 4 KiB); changes nothing. Used by
/// the facts command, the claim script and the scripts below.
pub const READ_FN: &str = r#"vmigrate_maint() {
  [ -f "$1" ] || return 0
  vmigrate_m=$(head -c 4096 -- "$1" 2>/dev/null | tr '\n' ' ')
  printf 'maintenance %s\n' "${vmigrate_m% }"
}
"#;

/// The shared prologue: private files whatever the login's umask,
/// stderr into the answer, the host lock in `$1` taken.
const LOCKED: &str = r#"umask 077
exec 2>&1
ld=$1
mkdir -p -- "$ld" && chmod 700 -- "$ld" || { echo "error cannot create $ld"; exit 1; }
exec 9>>"$ld/.lock"
flock -w 30 9 || { echo "error $ld/.lock stayed locked for 30 s; try again"; exit 1; }
"#;

/// `on`: `$2` the mark's directory, `$3` its file, `$4` the mark (one JSON
/// line). An existing mark is kept (`kept`); otherwise the mark is written
/// (temporary file, synced, renamed, directory synced: it must survive a
/// power cut) and the live claims — runs admitted before the mark, still
/// bringing VMs here — are listed before `set`.
const SET: &str = r#"md=$2 f=$3 mark=$4
if [ -f "$f" ]; then vmigrate_maint "$f"; echo kept; exit 0; fi
mkdir -p -- "$md" && chmod 700 -- "$md" || { echo "error cannot create $md"; exit 1; }
t="$f.tmp.$$"
if ! { printf '%s\n' "$mark" >"$t" && sync -- "$t" && mv -f -- "$t" "$f"; }; then
  rm -f -- "$t"; echo "error cannot write $f"; exit 1
fi
sync -- "$md" 2>/dev/null
vmigrate_maint "$f"
vmigrate_claims "$ld"
echo set
"#;

/// `off`: `$2` the mark's file. Prints the mark removed, if any, then `cleared`.
const CLEAR: &str = r#"f=$2
if [ -f "$f" ]; then
  vmigrate_maint "$f"
  rm -f -- "$f" || { echo "error cannot remove $f"; exit 1; }
  sync -- "${f%/*}" 2>/dev/null
fi
echo cleared
"#;

/// `status`: `$1` the mark's file.
const READ: &str = r#"exec 2>&1
vmigrate_maint "$1"
echo read
"#;

/// The full text of the `on` script.
pub fn set_script() -> String {
    format!("{}{READ_FN}{LOCKED}{SET}", claims::protocol::LIST_FN)
}

/// The full text of the `off` script.
pub fn clear_script() -> String {
    format!("{READ_FN}{LOCKED}{CLEAR}")
}

/// The full text of the `status` script.
pub fn read_script() -> String {
    format!("{READ_FN}{READ}")
}

/// One script's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub mark: Option<Mark>,
    pub claims: Vec<Claim>,
    /// The final word (`set`, `kept`, `cleared`, `read`), if it came.
    pub word: Option<String>,
    /// Anything else the host said (errors).
    pub other: Vec<String>,
}

/// Parses a script's output.
pub fn parse(out: &str) -> Answer {
    let mut a = Answer::default();
    for line in out.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(text) = line.strip_prefix("maintenance ") {
            a.mark = Some(Mark::parse(text));
        } else if line.starts_with("claim ") {
            a.claims.extend(claims::protocol::parse_listing(line));
        } else if ["set", "kept", "cleared", "read"].contains(&line) {
            a.word = Some(line.to_string());
        } else if !line.trim().is_empty() {
            a.other
                .push(line.strip_prefix("error ").unwrap_or(line).to_string());
        }
    }
    a
}

/// The mark in the facts command's output section (see `crate::facts::remote`).
pub fn parse_facts(section: &str) -> Option<Mark> {
    parse(section).mark
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_answers() {
        let m = Mark::new("kernel 'x' $(y)");
        let c = Claim::new("r1", "web1", "u1", 128, 1, 0);
        let out = format!(
            "maintenance {}\nclaim {}\nset\n",
            m.to_line(),
            serde_json::to_string(&c).unwrap()
        );
        let a = parse(&out);
        assert_eq!(a.mark, Some(m));
        assert_eq!(a.claims, vec![c]);
        assert_eq!(a.word.as_deref(), Some("set"));
        assert!(a.other.is_empty());
        let a = parse("error cannot create /run/vmigrate/claims\r\n");
        assert_eq!(a.word, None);
        assert_eq!(a.other, vec!["cannot create /run/vmigrate/claims"]);
        assert_eq!(
            parse("read\n"),
            Answer {
                word: Some("read".into()),
                ..Answer::default()
            }
        );
        assert!(parse_facts("maintenance garbage\n")
            .unwrap()
            .reason
            .contains("garbage"));
        assert_eq!(parse_facts(""), None);
    }
}
