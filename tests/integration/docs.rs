//! The generated files checked in (`completions/`, `man/`) are what the
//! binary generates now, and the dynamic completion answers from local
//! files only, quietly (no lab needed).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::util::{Run, Vm};

/// The one command that regenerates every checked-in file, as the README says.
const REGENERATE: &str =
    "cargo run --quiet -- completions --dir completions && cargo run --quiet -- man --dir man";

/// The files in `dir`, by name, but for `keep` (hand-written ones).
fn files(dir: &Path, keep: &[&str]) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

/// What differs between the checked-in `repo` dir and a fresh `fresh` one.
fn differences(repo: &Path, fresh: &Path, keep: &[&str]) -> Vec<String> {
    let (old, new) = (files(repo, keep), files(fresh, keep));
    let mut out = Vec::new();
    for name in new.difference(&old) {
        out.push(format!("{}: missing", repo.join(name).display()));
    }
    for name in old.difference(&new) {
        out.push(format!(
            "{}: no longer generated (delete it)",
            repo.join(name).display()
        ));
    }
    for name in old.intersection(&new) {
        if std::fs::read(repo.join(name)).unwrap() != std::fs::read(fresh.join(name)).unwrap() {
            out.push(format!("{}: stale", repo.join(name).display()));
        }
    }
    out
}

#[test]
fn checked_in_completions_and_man_pages_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let (completions, man) = (tmp.path().join("completions"), tmp.path().join("man"));
    for args in [
        ["completions", "--dir", completions.to_str().unwrap()],
        ["man", "--dir", man.to_str().unwrap()],
    ] {
        let r = Vm::cmd().args(args).run();
        assert_eq!(r.code, 0, "vmigrate {args:?}: {}", r.stderr);
    }
    let mut stale = differences(&root.join("completions"), &completions, &["README.md"]);
    stale.extend(differences(&root.join("man"), &man, &[]));
    assert!(
        stale.is_empty(),
        "the checked-in completions or man pages do not match the command line:\n  {}\n\
         regenerate them, from the repository's root, with\n  {REGENERATE}\nand commit the result",
        stale.join("\n  ")
    );
    // Every shell clap_complete knows, and a page per subcommand.
    for name in [
        "vmigrate.bash",
        "_vmigrate",
        "vmigrate.fish",
        "vmigrate.elv",
        "_vmigrate.ps1",
    ] {
        assert!(completions.join(name).is_file(), "{name}");
    }
    for name in ["vmigrate.1", "vmigrate-live.1", "vmigrate-maintenance.1"] {
        assert!(man.join(name).is_file(), "{name}");
    }
}

/// A world for completion requests: an inventory and a journal.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("inv.toml"),
            "[[hosts]]\nname = \"kvm1\"\naddress = \"192.0.2.1\"\nzone = \"a\"\n\
             [[hosts]]\nname = \"kvm2\"\naddress = \"192.0.2.2\"\n\
             [[hosts]]\nname = \"spare\"\naddress = \"192.0.2.3\"\ndisabled = true\n",
        )
        .unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::write(
            state.join("journal.jsonl"),
            concat!(
                r#"{"ts_ms":1,"run":"r1","vm":"web1","step":"finish","details":{"outcome":"rolled_back","running_on":"kvm1"}}"#,
                "\n",
                r#"{"ts_ms":2,"run":"r2","vm":"/drain/kvm2","step":"drain","details":{"host":"kvm2","plan":[{"vm":"db1","destination":"kvm1"}]}}"#,
                "\n",
            ),
        )
        .unwrap();
        World { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// What fish's registration asks at a TAB after `words` (the last one
    /// being the word under the cursor): `COMPLETE=fish vmigrate -- vmigrate WORDS`.
    fn complete(&self, words: &[&str]) -> Run {
        Vm::cmd()
            .env("COMPLETE", "fish")
            .state(self.path("state"))
            .current_dir(self.dir.path())
            // No inventory in the usual places: only what the test names.
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home"))
            .args(["--", "vmigrate"])
            .args(words)
            .run()
    }
}

/// The candidates' values (fish prints `value<TAB>help` per line).
fn values(r: &Run) -> Vec<&str> {
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "a completion printed: {}", r.stderr);
    r.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .filter(|v| !v.starts_with('-'))
        .collect()
}

#[test]
fn host_names_complete_from_the_inventory() {
    let w = World::new();
    let inv = w.path("inv.toml");
    let inv = inv.to_str().unwrap();
    let r = w.complete(&["-i", inv, "live", "web1", "--to", ""]);
    assert_eq!(values(&r), ["kvm1", "kvm2", "spare"]);
    assert!(r.stdout.contains("kvm1\t192.0.2.1, zone a"), "{}", r.stdout);
    assert!(
        r.stdout.contains("spare\t192.0.2.3, disabled"),
        "{}",
        r.stdout
    );
    assert_eq!(
        values(&w.complete(&["live", "--inventory", inv, "--from", "kvm"])),
        ["kvm1", "kvm2"]
    );
    assert_eq!(
        values(&w.complete(&["--inventory=inv.toml", "evacuate", "s"])),
        ["spare"]
    );
    let r = Vm::cmd()
        .env("COMPLETE", "fish")
        .env("VMIGRATE_INVENTORY", w.path("inv.toml"))
        .args(["--", "vmigrate", "maintenance", ""])
        .run();
    assert_eq!(values(&r), ["kvm1", "kvm2", "spare", "status"]);
}

#[test]
fn vm_names_complete_from_the_journal() {
    let w = World::new();
    assert_eq!(values(&w.complete(&["abort", ""])), ["db1", "web1"]);
    assert_eq!(values(&w.complete(&["check", "w"])), ["web1"]);
}

#[test]
fn a_missing_or_broken_inventory_completes_nothing_quietly() {
    let w = World::new();
    std::fs::write(w.path("bad.toml"), "[[hosts]\nname = ").unwrap();
    for inv in ["bad.toml", "nope.toml", "/dev/zero", "."] {
        let r = w.complete(&["-i", inv, "live", "web1", "--to", ""]);
        assert!(values(&r).is_empty(), "-i {inv}: {}", r.stdout);
    }
    assert!(values(&w.complete(&["hosts", ""])).is_empty());
    // No journal: no VM names, and no state directory made for asking.
    let r = Vm::cmd()
        .env("COMPLETE", "fish")
        .state(w.path("no-state"))
        .args(["--", "vmigrate", "recover", ""])
        .run();
    assert!(values(&r).is_empty(), "{}", r.stdout);
    assert!(!w.path("no-state").exists());
}

#[test]
fn the_registration_script_names_the_binary_and_survives_a_closed_pipe() {
    let r = Vm::cmd().env("COMPLETE", "bash").run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("complete -o"), "{}", r.stdout);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    for shell in ["bash", "zsh", "fish"] {
        let r = Vm::cmd()
            .env("COMPLETE", shell)
            .stdout(writer.try_clone().unwrap())
            .run();
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{shell}");
    }
}

#[test]
fn an_unknown_shell_in_complete_is_one_usage_error() {
    let r = Vm::cmd().env("COMPLETE", "tcsh").run();
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("COMPLETE=tcsh"), "{}", r.stderr);
    // COMPLETE=0 (or empty) turns completion off: a normal run.
    let r = Vm::cmd().env("COMPLETE", "0").arg("--version").run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("vmigrate "), "{}", r.stdout);
}
