//! The command line itself: help, exit-code table, usage errors (no lab needed).

use crate::util::vmigrate;

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

#[test]
fn missing_inventory_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vmigrate"))
        .arg("hosts")
        .current_dir(dir.path())
        .env_remove("VMIGRATE_INVENTORY")
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
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
pub(crate) fn into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vmigrate"))
        .args(args)
        .env("VMIGRATE_STATE_DIR", crate::util::state_dir())
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_completions_quietly() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, err) = into_closed_pipe(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {err}");
        assert!(err.is_empty(), "{shell}: {err}");
    }
}
