//! Test helpers: run the real `vmigrate` binary, and reach the lab of real
//! libvirt hosts that `tests/lab/lab.sh up` started (tests never fake libvirt).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// Path of the lab script.
pub fn lab_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab/lab.sh")
}

/// Runs `lab.sh ARGS` and returns stdout; panics with its stderr on failure.
pub fn lab_sh(args: &[&str]) -> String {
    let out = Command::new(lab_script())
        .args(args)
        .output()
        .expect("run tests/lab/lab.sh");
    assert!(
        out.status.success(),
        "lab.sh {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `lab.sh ARGS`, ignoring failure (for clean-up).
pub fn lab_try(args: &[&str]) -> bool {
    Command::new(lab_script())
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `virsh ARGS` run inside a lab host, as the ground truth to compare with.
pub fn virsh(host: &str, args: &[&str]) -> String {
    let mut a = vec!["virsh", host];
    a.extend_from_slice(args);
    lab_sh(&a)
}

/// Tests that break a lab host (stop its libvirtd, …) take the lab
/// exclusively; every other lab test takes it shared, so they never see
/// each other's damage while still running in parallel with one another.
/// It is a file lock (flock), not an in-process one, so test binaries of
/// several checkouts sharing one lab keep the same rule.
pub struct LabGuard {
    _file: std::fs::File,
}

fn lab_lock(exclusive: bool) -> LabGuard {
    let dir = std::env::var_os("VMIGRATE_LAB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/vmigrate-lab"));
    let path = dir.join("tests.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("open the lab's test lock {}: {e}", path.display()));
    if exclusive {
        file.lock()
    } else {
        file.lock_shared()
    }
    .unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
    LabGuard { _file: file }
}

/// The running lab, shared by all tests of the binary.
pub struct Lab {
    /// The inventory text `lab.sh inventory` printed.
    pub inventory_text: String,
    /// That text written to a file.
    pub inventory: PathBuf,
    _dir: tempfile::TempDir,
}

impl Lab {
    /// The lab, checked healthy once; panics with how to start it otherwise.
    pub fn get() -> &'static Lab {
        static LAB: OnceLock<Lab> = OnceLock::new();
        LAB.get_or_init(|| {
            let status = Command::new(lab_script()).arg("status").output();
            match status {
                Ok(o) if o.status.success() => {}
                _ => panic!(
                    "the lab is not up: run the README's test command (tests/run.sh), \
                     or `tests/lab/lab.sh up` as root before `cargo test`"
                ),
            }
            let text = lab_sh(&["inventory"]);
            let dir = tempfile::tempdir().unwrap();
            let inventory = dir.path().join("inventory.toml");
            std::fs::write(&inventory, &text).unwrap();
            Lab {
                inventory_text: text,
                inventory,
                _dir: dir,
            }
        })
    }

    /// Shared access: the lab stays as `up` left it for the guard's life.
    /// The lock comes first: while another test holds the lab exclusively,
    /// a host may be down on purpose, and the health check waits for it.
    pub fn shared() -> (&'static Lab, LabGuard) {
        let guard = lab_lock(false);
        (Lab::get(), guard)
    }

    /// Exclusive access, for tests that break a host and repair it.
    pub fn exclusive() -> (&'static Lab, LabGuard) {
        let guard = lab_lock(true);
        (Lab::get(), guard)
    }

    /// Names of the lab hosts, in inventory order.
    pub fn hosts(&self) -> Vec<String> {
        lab_sh(&["hosts"]).lines().map(str::to_string).collect()
    }

    /// Writes a variant of the lab inventory (edited by `f`) into `dir`.
    pub fn inventory_with(&self, dir: &Path, f: impl FnOnce(String) -> String) -> PathBuf {
        let path = dir.join("inventory.toml");
        std::fs::write(&path, f(self.inventory_text.clone())).unwrap();
        path
    }
}

/// The result of one `vmigrate` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as JSON (the `-o json` contract).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The journal and lock directory every test run of vmigrate shares (so
/// `abort` and `live` see each other's journal, as on one operator machine).
pub fn state_dir() -> PathBuf {
    std::env::temp_dir().join("vmigrate-it-state")
}

/// Runs the built binary with `args`, stdin closed, no terminal.
pub fn vmigrate(args: &[&str]) -> Run {
    vmigrate_with(&[], args)
}

/// [`vmigrate`] with `env` set on top (e.g. a test's own VMIGRATE_STATE_DIR).
pub fn vmigrate_with(env: &[(&str, &Path)], args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_vmigrate"))
        .args(args)
        .env("VMIGRATE_STATE_DIR", state_dir())
        .envs(env.iter().copied())
        .env_remove("VMIGRATE_INVENTORY")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run vmigrate");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Looks up a host row in a `hosts -o json` document.
pub fn host_row<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["hosts"]
        .as_array()
        .expect("hosts array")
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {doc}"))
}

/// Creates a test VM on a lab host and removes it when dropped.
pub struct TestVm {
    pub host: String,
    pub name: String,
}

impl TestVm {
    pub fn create(host: &str, name: &str, disk: &str) -> TestVm {
        destroy_everywhere(name);
        lab_sh(&["vm", "create", host, name, "--disk", disk]);
        TestVm {
            host: host.to_string(),
            name: name.to_string(),
        }
    }
}

/// Removes a leftover of an interrupted earlier run, on any host (it may
/// have been migrated), so that it cannot fail this one.
impl TestVm {
    /// A memory-dirtying guest (sweeping 1..`mib` MiB) on `host`, once it
    /// has booted and its counters move.
    pub fn dirtying(host: &str, name: &str, mib: u32) -> TestVm {
        TestVm::dirtying_slowed(host, name, mib, 0)
    }

    /// The dirtying guest with `spin` busy-loop turns per page: its dirty
    /// rate then scales with the CPU it gets (what auto-converge throttles).
    pub fn dirtying_slowed(host: &str, name: &str, mib: u32, spin: u32) -> TestVm {
        destroy_everywhere(name);
        let (m, s) = (mib.to_string(), spin.to_string());
        lab_sh(&[
            "vm",
            "create",
            host,
            name,
            "--disk",
            "net",
            "--dirty",
            &m,
            "--dirty-spin",
            &s,
        ]);
        let vm = TestVm {
            host: host.to_string(),
            name: name.to_string(),
        };
        for _ in 0..50 {
            if !lab_sh(&["vm", "pattern", host, name]).contains("counters 0/0") {
                return vm;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("the dirtying guest {name} did not start sweeping");
    }

    /// Asserts every page's counter is consistent on `host`: no page lost
    /// or stale (`lab.sh vm pattern`).
    pub fn assert_memory_intact(&self, host: &str) {
        let p = lab_sh(&["vm", "pattern", host, &self.name]);
        assert!(
            p.starts_with("ok:") && p.contains("boundary at page"),
            "{p}"
        );
    }
}

pub fn destroy_everywhere(name: &str) {
    for h in lab_sh(&["hosts"]).lines() {
        let _ = Command::new(lab_script())
            .args(["vm", "destroy", h, name])
            .output();
    }
}

impl Drop for TestVm {
    fn drop(&mut self) {
        let _ = Command::new(lab_script())
            .args(["vm", "destroy", &self.host, &self.name])
            .output();
    }
}
