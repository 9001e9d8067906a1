//! Lab tests of how vmigrate leaves the operator's machine: every run exits
//! normally (no abort or segfault at exit, however its connections end),
//! and the tunnel sockets that reach root's libvirt are private whatever
//! the umask, and removed even after a `kill -9`.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{Lab, TestVm, Vm};

/// `vmigrate -i INV ARGS` under `umask 000` with its tunnels in `runtime`.
fn hostile(runtime: &Path, inv: &str, args: &[&str]) -> Vm {
    Vm::cmd()
        .inventory(inv)
        .args(args)
        .umask_000()
        .env("XDG_RUNTIME_DIR", runtime)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
}

/// The tunnel sockets under `runtime`, once at least `n` exist.
fn sockets(runtime: &Path, n: usize) -> Vec<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found: Vec<PathBuf> = std::fs::read_dir(runtime)
            .unwrap()
            .flatten()
            .map(|e| e.path().join("libvirt.sock"))
            .filter(|p| p.exists())
            .collect();
        if found.len() >= n || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn tunnel_sockets_are_private_under_umask_000_and_a_killed_runs_are_removed() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let vm = TestVm::create("lab1", "hyg-sock", "net");
    let runtime = tempfile::tempdir().unwrap();
    // `check --measure 3` keeps every host's tunnel open for 3 s.
    let check = ["check", &vm.name, "--to", "lab2", "--measure", "3"];
    let mut child = hostile(runtime.path(), inv, &check).spawn();
    let socks = sockets(runtime.path(), 3);
    assert_eq!(socks.len(), 3, "one tunnel per lab host: {socks:?}");
    for s in &socks {
        let dir = std::fs::metadata(s.parent().unwrap()).unwrap();
        assert_eq!(dir.mode() & 0o7777, 0o700, "{}", s.display());
        let sock = std::fs::metadata(s).unwrap();
        assert!(sock.file_type().is_socket());
        assert_eq!(sock.mode() & 0o7777, 0o600, "{}", s.display());
    }
    // kill -9 cannot clean up; the next run removes what it left.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(socks[0].exists(), "a killed run leaves its socket behind");
    let r = hostile(runtime.path(), inv, &["hosts", "lab1"]).run();
    assert_eq!(r.code, 0);
    let left: Vec<_> = std::fs::read_dir(runtime.path())
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "stale tunnel directories left: {left:?}");
}

/// Runs `vmigrate ARGS` `n` times, three at a time, and returns the runs
/// that ended abnormally (killed by a signal, or an exit code no command
/// documents), with their stderr.
fn abnormal_exits(args: &[&str], n: usize, ok: &[i32]) -> Vec<String> {
    let mut bad = Vec::new();
    for _ in 0..n / 3 {
        let children: Vec<_> = (0..3)
            .map(|_| Vm::cmd().args(args).stdout(Stdio::null()).spawn())
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            let fine = out.status.code().is_some_and(|c| ok.contains(&c));
            if !fine {
                bad.push(format!(
                    "{:?} (signal {:?}): {}",
                    out.status.code(),
                    out.status.signal(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    bad
}

#[test]
fn hundreds_of_runs_exit_normally() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let n: usize = std::env::var("VMIGRATE_EXIT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let bad = abnormal_exits(&["-i", inv, "-o", "json", "hosts"], n, &[0]);
    assert!(
        bad.is_empty(),
        "{} of {n} runs ended abnormally: {bad:#?}",
        bad.len()
    );
    // A host that does not answer at all: its run ends with exit 6, and a
    // connection attempt may still be under way at exit.
    let dir = tempfile::tempdir().unwrap();
    let with_dead = lab.inventory_with(dir.path(), |t| {
        t + "\n[[hosts]]\nname = \"dead\"\naddress = \"10.213.77.250\"\nconnect_timeout_secs = 1\n"
    });
    let bad = abnormal_exits(
        &["-i", with_dead.to_str().unwrap(), "hosts", "lab1", "dead"],
        n / 8,
        &[6],
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn a_closed_pipe_ends_results_quietly() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    for args in [
        ["-i", inv, "-o", "json", "hosts"],
        ["-i", inv, "-o", "table", "hosts"],
    ] {
        let r = crate::cli::into_closed_pipe(&args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
    }
}
