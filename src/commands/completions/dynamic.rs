//! Dynamic shell completion: the shell's registration script (printed by
//! `COMPLETE=bash vmigrate`) calls the binary itself at every TAB, and
//! `clap_complete`'s engine answers from the same clap definitions as the
//! parser, with host names from the inventory and VM names from the
//! journal (the `ArgValueCandidates` in `cli.rs` name the functions here).
//!
//! All of it runs while someone is typing, so it reads local files only:
//! never SSH nor libvirt, because a TAB must not wait on a host. A missing
//! or broken inventory or journal gives no candidates, and nothing is
//! printed on stderr: a message in the middle of a command line being typed
//! helps nobody, and the plain command says what is wrong.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::env::Shells;
use clap_complete::CompletionCandidate;

use crate::cli::Cli;
use crate::exit_codes::ExitCode;

/// The variable the registration scripts set (`clap_complete`'s default).
const VAR: &str = "COMPLETE";

/// When `COMPLETE` names a shell: answers the completion request (or
/// prints the registration script) and returns the exit code to end with.
/// `None`: a normal run. Called before anything else, as nothing may be
/// written to stdout before the answer.
pub fn from_env() -> Option<ExitCode> {
    let shell = std::env::var_os(VAR).filter(|v| !v.is_empty() && v != "0")?;
    // clap_complete accepts a path such as $SHELL and uses its file stem.
    let name = Path::new(&shell)
        .file_stem()
        .unwrap_or(&shell)
        .to_string_lossy();
    if Shells::builtins().completer(&name).is_none() {
        // Checked here so that a wrong COMPLETE in a shell's rc file is the
        // one error the completion ever prints (at setup, not at a TAB).
        let known: Vec<_> = Shells::builtins().names().collect();
        crate::report::printer::error(&format!(
            "{VAR}={name}: no completion for that shell; use one of {} (or unset {VAR})",
            known.join(", ")
        ));
        return Some(ExitCode::Usage);
    }
    let cwd = std::env::current_dir().ok();
    match clap_complete::CompleteEnv::with_factory(Cli::command)
        .try_complete(std::env::args_os(), cwd.as_deref())
    {
        Ok(false) => None,
        // What is left to fail is writing the answer (the shell stopped
        // reading: a closed pipe, not an error) or the engine finding
        // nothing to complete: either way the shell gets no candidates.
        Ok(true) | Err(_) => Some(ExitCode::Ok),
    }
}

/// The inventory's host names, in file order, each with its address (and
/// zone, and whether it is disabled) as the help zsh and fish show.
pub(crate) fn hosts() -> Vec<CompletionCandidate> {
    let Some(inventory) = inventory() else {
        return Vec::new();
    };
    inventory
        .hosts
        .iter()
        .map(|h| {
            let mut help = h.address.clone();
            if let Some(zone) = &h.zone {
                help.push_str(&format!(", zone {zone}"));
            }
            if h.disabled {
                help.push_str(", disabled");
            }
            CompletionCandidate::new(&h.name).help(Some(help.into()))
        })
        .collect()
}

/// `maintenance`'s first word: a host, or `status` alone for every host.
pub(crate) fn maintenance_hosts() -> Vec<CompletionCandidate> {
    let mut all = hosts();
    all.push(CompletionCandidate::new("status").help(Some("show every host's maintenance".into())));
    all
}

/// The VMs vmigrate has worked on from this machine, as its journal names
/// them. Not every VM of the fleet: only the hosts know those, and asking
/// them would make a TAB wait on SSH.
pub(crate) fn vms() -> Vec<CompletionCandidate> {
    crate::state::journalled_vms()
        .into_iter()
        .filter(|vm| shell_safe(vm))
        .map(CompletionCandidate::new)
        .collect()
}

/// The inventory the command being completed would use: its own `-i` if
/// it has one, else the usual search ([`crate::inventory::locate`]).
fn inventory() -> Option<crate::inventory::Inventory> {
    let named = inventory_flag(std::env::args_os());
    let path = crate::inventory::locate(named.as_deref()).ok()?;
    let inventory = crate::inventory::load(&path).ok()?;
    // A host name only the shell protocols would garble is better left out.
    Some(crate::inventory::Inventory {
        hosts: inventory
            .hosts
            .into_iter()
            .filter(|h| shell_safe(&h.name))
            .collect(),
        ..inventory
    })
}

/// The `-i`/`--inventory` value among the words being completed. The
/// engine hands candidate functions no parsed arguments, so the words
/// (after the `--` of the registration script's call,
/// `vmigrate -- vmigrate live -i inv.toml --to ...`) are scanned here.
/// Short flags bundled before it (`-qi FILE`) count; the last one wins.
fn inventory_flag(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let mut words = args.into_iter().skip_while(|a| a != "--").skip(1);
    let mut found = None;
    while let Some(word) = words.next() {
        let Some(w) = word.to_str() else { continue };
        if w == "--" {
            // Everything after it is a positional value.
            break;
        }
        let value = if w == "--inventory" {
            words.next()
        } else if let Some(v) = w.strip_prefix("--inventory=") {
            Some(v.into())
        } else if let Some(cluster) = w.strip_prefix('-').filter(|c| !c.starts_with('-')) {
            // -q and -v take no value, so an `i` after them is still -i.
            match cluster.trim_start_matches(['q', 'v']).strip_prefix('i') {
                Some("") => words.next(),
                Some(v) => Some(v.into()),
                None => continue,
            }
        } else {
            continue;
        };
        if let Some(v) = value {
            found = Some(expand_home(&v));
        }
    }
    found
}

/// `~/…` as the shell would expand it when the command runs (the words a
/// shell hands a completer are not expanded yet).
fn expand_home(value: &OsStr) -> PathBuf {
    let path = Path::new(value);
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) if !home.is_empty() => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

/// Whether a name survives the shells' completion protocols: they separate
/// candidates with control characters (bash a vertical tab, the others a
/// newline or tab).
fn shell_safe(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(ws: &[&str]) -> Vec<OsString> {
        ws.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_inventory_flag_is_found_in_every_spelling() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["vmigrate", "--", "vmigrate", "live", "--from", ""], None),
            (
                &["vmigrate", "--", "vmigrate", "-i", "a.toml", "live"],
                Some("a.toml"),
            ),
            (
                &[
                    "vmigrate",
                    "--",
                    "vmigrate",
                    "live",
                    "--inventory",
                    "b.toml",
                ],
                Some("b.toml"),
            ),
            (
                &["vmigrate", "--", "vmigrate", "--inventory=c.toml", "hosts"],
                Some("c.toml"),
            ),
            (
                &["vmigrate", "--", "vmigrate", "-id.toml", "hosts"],
                Some("d.toml"),
            ),
            (
                &["vmigrate", "--", "vmigrate", "-qvi", "e.toml", "hosts"],
                Some("e.toml"),
            ),
            (
                &["vmigrate", "--", "vmigrate", "-i", "x", "-i", "f.toml"],
                Some("f.toml"),
            ),
            // -o takes a value: `-oi` is `-o i`, not -i.
            (
                &["vmigrate", "--", "vmigrate", "-oi", "json", "hosts"],
                None,
            ),
            // After the escape every word is a value.
            (
                &["vmigrate", "--", "vmigrate", "abort", "--", "-i", "g"],
                None,
            ),
            // Before the registration script's `--`: the completer's own arguments.
            (&["vmigrate", "-i", "h", "--", "vmigrate", "hosts"], None),
        ];
        for (args, want) in cases {
            assert_eq!(
                inventory_flag(words(args)),
                want.map(PathBuf::from),
                "{args:?}"
            );
        }
    }

    #[test]
    fn a_home_relative_inventory_is_expanded() {
        let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
            return;
        };
        assert_eq!(
            expand_home(OsStr::new("~/inv.toml")),
            PathBuf::from(home).join("inv.toml")
        );
        assert_eq!(
            expand_home(OsStr::new("inv.toml")),
            PathBuf::from("inv.toml")
        );
    }

    #[test]
    fn names_that_would_break_a_shell_protocol_are_left_out() {
        assert!(shell_safe("web-1.example"));
        assert!(!shell_safe("a\u{b}b"));
        assert!(!shell_safe("a\nb"));
        assert!(!shell_safe(""));
    }
}
