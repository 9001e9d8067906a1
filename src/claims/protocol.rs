//! What runs on the host, and what it prints back.
//!
//! Every name reaches the scripts as a positional parameter (`"$1"`), never
//! inside the script text. Claim files are `<run>.<uuid>.json` in the claims
//! directory; `.lock` there serialises check-and-claim. A claim is *live*
//! while some process holds an exclusive `flock` on its file: the shell of
//! [`TAKE`], which lives as long as vmigrate's SSH channel. A file nobody
//! holds belongs to a run that is gone: readers ignore it, and the next
//! claimer removes it (under `.lock`, so nobody is reading it then).
//!
//! Liveness is tested with a *shared* non-blocking lock on a fresh open of
//! the file (`flock -n -s -E 75 7 7<FILE`): it fails with 75 exactly while
//! the holder's exclusive lock exists, and two readers never disturb each
//! other. The redirection opens without creating, so a file removed
//! meanwhile is not brought back.

use super::Claim;

/// Shell function printing `claim <json>` for each live claim in `$1`;
/// changes nothing on the host (used by the facts command and by `TAKE`).
pub const LIST_FN: &str = r#"vmigrate_claims() {
  [ -d "$1" ] || return 0
  for c in "$1"/*.json; do
    [ -f "$c" ] || continue
    flock -n -s -E 75 7 2>/dev/null 7<"$c"
    if [ $? -eq 75 ]; then printf 'claim %s\n' "$(cat -- "$c" 2>/dev/null)"; fi
  done
}
"#;

/// Check-and-claim, then hold, in one exec. `$1`: claims directory, `$2`:
/// the claim's file name, `$3`: the maintenance mark's file (needs
/// `crate::maintenance::protocol::READ_FN` before it). The conversation
/// (one line each way):
///
/// 1. host, under `.lock`: `maintenance <json>` when the host is in
///    maintenance (marks are set under the same lock), `claim <json>`… for
///    every live claim (stale files are removed), then `listed`;
/// 2. vmigrate: `take <json>` when it fits (anything else: nothing is written);
/// 3. host: the file is written, locked and renamed into place, `.lock`
///    released, `held`;
/// 4. vmigrate, at the end of its run: `release` (or the channel closes
///    because vmigrate died); host: the file is removed, `released`.
///
/// umask 077 whatever the login's: directory 0700, files 0600 (they name
/// VMs). stderr joins stdout so that a failure reaches vmigrate's message.
pub const TAKE: &str = r#"umask 077
exec 2>&1
d=$1 f=$2
case $f in *[!A-Za-z0-9._-]* | .* | '') echo "error invalid claim file name"; exit 1 ;; esac
mkdir -p -- "$d" && chmod 700 -- "$d" || { echo "error cannot create $d"; exit 1; }
exec 9>>"$d/.lock"
flock -w 30 9 || { echo "error $d/.lock stayed locked for 30 s"; exit 1; }
[ -n "$3" ] && vmigrate_maint "$3"
for c in "$d"/*.json; do
  [ -f "$c" ] || continue
  flock -n -s -E 75 7 2>/dev/null 7<"$c"
  case $? in
    0) rm -f -- "$c" ;;
    75) printf 'claim %s\n' "$(cat -- "$c")" ;;
  esac
done
echo listed
IFS= read -r line || exit 0
case $line in 'take '*) ;; *) exit 0 ;; esac
t="$d/.$f.tmp"
exec 8>"$t"
if ! { flock -n -x 8 && printf '%s\n' "${line#take }" >&8 && mv -f -- "$t" "$d/$f"; }; then
  rm -f -- "$t"; echo "error cannot write $d/$f"; exit 1
fi
flock -u 9
exec 9>&-
echo held
IFS= read -r line
exec 9>>"$d/.lock"
flock -w 30 9
rm -f -- "$d/$f"
echo released
"#;

/// One line from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A live claim.
    Claim(Claim),
    /// A live claim whose file is not a claim vmigrate wrote.
    Unreadable(String),
    /// The host is in maintenance: the mark's text.
    Maintenance(String),
    Listed,
    Held,
    Released,
    /// Anything else: an error the script or a command printed.
    Other(String),
}

/// Parses one line of [`TAKE`]'s or [`LIST_FN`]'s output.
pub fn parse_line(line: &str) -> Line {
    let line = line.trim_end_matches(['\r', '\n']);
    match line {
        "listed" => Line::Listed,
        "held" => Line::Held,
        "released" => Line::Released,
        _ if line.starts_with("maintenance ") => {
            Line::Maintenance(line["maintenance ".len()..].to_string())
        }
        _ => match line.strip_prefix("claim ") {
            Some(json) => serde_json::from_str(json)
                .map_or_else(|_| Line::Unreadable(json.to_string()), Line::Claim),
            None => Line::Other(line.strip_prefix("error ").unwrap_or(line).to_string()),
        },
    }
}

/// The live claims in a listing (lines that are not claims are ignored).
pub fn parse_listing(text: &str) -> Vec<Claim> {
    text.lines()
        .filter_map(|l| match parse_line(l) {
            Line::Claim(c) => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_of_line() {
        let c = Claim::new("r1", "web 1", "u1", 128, 1, 0);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            parse_line(&format!("claim {json}\n")),
            Line::Claim(c.clone())
        );
        assert_eq!(
            parse_line("claim {\"x\":1}"),
            Line::Unreadable("{\"x\":1}".into())
        );
        assert_eq!(parse_line("claim "), Line::Unreadable(String::new()));
        assert_eq!(parse_line("listed"), Line::Listed);
        assert_eq!(
            parse_line("maintenance {\"by\":1}"),
            Line::Maintenance("{\"by\":1}".into())
        );
        assert_eq!(parse_line("held\r\n"), Line::Held);
        assert_eq!(parse_line("released"), Line::Released);
        assert_eq!(
            parse_line("error cannot create /run/vmigrate/claims"),
            Line::Other("cannot create /run/vmigrate/claims".into())
        );
        assert_eq!(
            parse_line("mkdir: Permission denied"),
            Line::Other("mkdir: Permission denied".into())
        );
        let listing = format!("claim {json}\nclaim garbage\nsomething else\n");
        assert_eq!(parse_listing(&listing), vec![c]);
    }
}
