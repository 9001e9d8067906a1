//! The command line itself: help, exit-code table, usage errors (no lab needed).

use crate::util::{vmigrate, Run, Vm};

#[test]
fn help_lists_every_exit_code() {
    let r = vmigrate(&["--help"]);
    assert_eq!(r.code, 0);
    for line in [
        "0  ok",
        "2  usage, inventory or config error",
        "3  not migratable",
        "5  needs attention",
        "6  partial",
        "130  interrupted",
    ] {
        assert!(
            r.stdout.contains(line),
            "--help lacks {line:?}:\n{}",
            r.stdout
        );
    }
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let r = vmigrate(&["hosts", "--frobnicate"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

/// A runbook that asked for `-o json` gets a command line the parser
/// refused as the error document on stdout, as any other failure.
#[test]
fn a_refused_command_line_under_json_is_an_error_document() {
    for args in [
        &["-o", "json", "hosts", "--frobnicate"][..],
        &["live", "--output=json"][..],
        &[
            "live",
            "web1",
            "--to",
            "kvm2",
            "--bandwidth",
            "many",
            "-ojson",
        ][..],
    ] {
        let r = vmigrate(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let doc = r.json();
        assert_eq!(doc["schema_version"], 1, "{doc:#}");
        assert_eq!(doc["error"]["code"], "usage", "{doc:#}");
        assert_eq!(doc["error"]["exit"], 2, "{doc:#}");
        let msg = doc["error"]["message"].as_str().unwrap();
        assert!(!msg.is_empty() && !msg.contains('\n'), "{msg}");
        assert!(
            r.stderr.contains(msg.split(';').next().unwrap()),
            "{}",
            r.stderr
        );
    }
    // `live` and `migrate` are one command.
    let r = vmigrate(&["migrate", "--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Live-migrate a VM"), "{}", r.stdout);
}

#[test]
fn missing_inventory_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let r = Vm::cmd()
        .arg("hosts")
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
        .run();
    assert_eq!(r.code, 2);
    let err = r.stderr;
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("inventory.toml"), "{err}");
}

#[test]
fn completions_are_generated() {
    let r = vmigrate(&["completions", "bash"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("vmigrate") && r.stdout.contains("hosts"));
}

/// Runs `vmigrate ARGS` with stdout a pipe whose reader is already gone
/// (`vmigrate … | head -1` once head has exited): (exit code, stderr).
pub(crate) fn into_closed_pipe(args: &[&str]) -> Run {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Vm::cmd().args(args).stdout(writer).run()
}

#[test]
fn a_closed_pipe_ends_completions_quietly() {
    for shell in ["bash", "zsh", "fish"] {
        let r = into_closed_pipe(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{shell}: {}", r.stderr);
    }
}
