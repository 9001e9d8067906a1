//! Test helpers: run the real `vmigrate` binary ([`Vm`]), and reach the lab
//! of real libvirt hosts that `tests/lab/lab.sh up` started (tests never
//! fake libvirt).
//!
//! Lab tests begin with `let Some((lab, _guard)) = Lab::shared() else {
//! return };`: without root or without a running lab they skip with one line
//! on stderr, so plain `cargo test` works anywhere; with
//! `VMIGRATE_REQUIRE_LAB=1` (tests/run.sh, CI) a missing lab fails instead.
//! Each lab test gets its own state directory (journal, locks): every
//! [`Vm`] the test runs uses it unless told otherwise, so runs of one test
//! see each other's journal and runs of different tests never do.

use std::cell::RefCell;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
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
        .is_ok_and(|o| o.status.success())
}

/// `virsh ARGS` run inside a lab host, as the ground truth to compare with.
pub fn virsh(host: &str, args: &[&str]) -> String {
    let mut a = vec!["virsh", host];
    a.extend_from_slice(args);
    lab_sh(&a)
}

/// libvirt's state of `vm` on `host` (`virsh domstate` with `extra` flags,
/// asked inside the host), or "absent".
fn domstate(host: &str, vm: &str, extra: &[&str]) -> String {
    let out = Command::new(lab_script())
        .args(["virsh", host, "domstate"])
        .args(extra)
        .arg(vm)
        .output()
        .unwrap();
    if out.status.success() {
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    } else {
        "absent".into()
    }
}

/// libvirt's state of `vm` on `host`, or "absent".
pub fn state(host: &str, vm: &str) -> String {
    domstate(host, vm, &[])
}

/// `virsh domstate --reason` of `vm` on `host` (asked inside the host, so
/// it works with the host's link cut), or "absent".
pub fn reason(host: &str, vm: &str) -> String {
    domstate(host, vm, &["--reason"])
}

/// The lab's directory (`VMIGRATE_LAB_DIR`, as lab.sh reads it).
pub fn lab_dir() -> PathBuf {
    std::env::var_os("VMIGRATE_LAB_DIR")
        .map_or_else(|| PathBuf::from("/var/lib/vmigrate-lab"), PathBuf::from)
}

thread_local! {
    /// The state directory of the lab test running on this thread (libtest
    /// runs each test on its own thread), set by its [`LabGuard`].
    static TEST_STATE: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Tests that break a lab host (stop its libvirtd, …) take the lab
/// exclusively; every other lab test takes it shared, so they never see
/// each other's damage while still running in parallel with one another.
/// It is a file lock (flock), not an in-process one, so test binaries of
/// several checkouts sharing one lab keep the same rule.
///
/// The guard also owns the test's own state directory (see [`Vm::cmd`]).
pub struct LabGuard {
    _file: std::fs::File,
    state: tempfile::TempDir,
    timeline: Timeline,
}

/// One test's turn at the lab, appended to `VMIGRATE_TEST_TIMELINE` (a
/// file) when the guard drops: tests/run.sh prints the longest turns, the
/// first place to look when the run nears CI's time limit.
struct Timeline {
    exclusive: bool,
    asked: std::time::SystemTime,
    waited: std::time::Duration,
    got: std::time::Instant,
}

impl Timeline {
    fn record(&self) {
        let Some(path) = std::env::var_os("VMIGRATE_TEST_TIMELINE") else {
            return;
        };
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_string();
        let start = self
            .asked
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        // One write per line on an O_APPEND file: lines from concurrent
        // tests never interleave.
        let line = format!(
            "{start:.1}\t{}\t{:.1}\t{:.1}\t{name}\n",
            if self.exclusive {
                "exclusive"
            } else {
                "shared"
            },
            self.waited.as_secs_f64(),
            self.got.elapsed().as_secs_f64(),
        );
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = std::io::Write::write_all(&mut f, line.as_bytes());
        }
    }
}

impl LabGuard {
    /// This test's state directory: its runs' journal and locks.
    pub fn state(&self) -> &Path {
        self.state.path()
    }
}

impl Drop for LabGuard {
    fn drop(&mut self) {
        TEST_STATE.with(|s| s.borrow_mut().take());
        self.timeline.record();
    }
}

/// The lab's test lock, or why there is no lab to lock.
fn lab_lock(exclusive: bool) -> Result<LabGuard, String> {
    let path = lab_dir().join("tests.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| {
            format!(
                "the lab is not up ({}: {e}; tests/lab/lab.sh up as root)",
                path.display()
            )
        })?;
    let asked = std::time::SystemTime::now();
    let waiting = std::time::Instant::now();
    if exclusive {
        let _waiting = GATE.exclusive_waiting();
        file.lock()
    } else {
        GATE.pass_shared();
        file.lock_shared()
    }
    .unwrap_or_else(|e| panic!("lock {}: {e}", path.display()));
    let state = tempfile::Builder::new()
        .prefix("vmigrate-it-state")
        .tempdir()
        .unwrap();
    TEST_STATE.with(|s| *s.borrow_mut() = Some(state.path().to_path_buf()));
    let timeline = Timeline {
        exclusive,
        asked,
        waited: waiting.elapsed(),
        got: std::time::Instant::now(),
    };
    Ok(LabGuard {
        _file: file,
        state,
        timeline,
    })
}

/// Writer preference for the lab lock within this test binary. flock
/// has none: while shared turns keep overlapping, a test waiting for the
/// lab exclusively would wait until nothing else is left to run (seen: a
/// fault test waiting 11 minutes, the fault matrix running last and alone).
/// So a shared turn does not start while an exclusive one is waiting; the
/// shared turns already running end, and the exclusive test goes next.
struct Gate {
    exclusive_waiting: std::sync::Mutex<usize>,
    changed: std::sync::Condvar,
}

static GATE: Gate = Gate {
    exclusive_waiting: std::sync::Mutex::new(0),
    changed: std::sync::Condvar::new(),
};

/// Counts an exclusive test as waiting until dropped (panics included).
struct ExclusiveWaiting;

impl Gate {
    fn exclusive_waiting(&'static self) -> ExclusiveWaiting {
        *self.lock() += 1;
        ExclusiveWaiting
    }

    /// Returns once no exclusive test is waiting.
    fn pass_shared(&self) {
        let mut n = self.lock();
        while *n > 0 {
            n = self
                .changed
                .wait(n)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.exclusive_waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for ExclusiveWaiting {
    fn drop(&mut self) {
        *GATE.lock() -= 1;
        GATE.changed.notify_all();
    }
}

/// Runs `scenarios` one after another in this one test, each to its end
/// (a failing one does not stop the others), then fails naming those that
/// failed. For tests that must not overlap (they share a host, or their
/// guests would skew each other's timing): as separate tests they would
/// each hold one of the run's few test threads while waiting for the
/// others (seen: three of four threads waiting, for 13 minutes). Each
/// scenario takes its own turn at the lab, so an exclusive test can go
/// between two of them. `VMIGRATE_SCENARIO=substring` runs only those
/// whose name contains it.
pub fn scenarios(list: &[(&str, fn())]) {
    let only = std::env::var("VMIGRATE_SCENARIO").ok();
    let mut failed = Vec::new();
    for (name, f) in list {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let t0 = std::time::Instant::now();
        let outcome = std::panic::catch_unwind(f);
        let secs = t0.elapsed().as_secs_f64();
        if outcome.is_ok() {
            eprintln!("scenario {name}: ok ({secs:.0} s)");
        } else {
            eprintln!("scenario {name}: FAILED ({secs:.0} s; its panic is above)");
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "failed scenarios: {}", failed.join(", "));
}

/// `Err` unless this process runs as root (its `/proc/self` is owned by
/// the effective user): the lab's namespaces and hosts need root.
fn root() -> Result<(), String> {
    let euid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    match euid {
        Some(0) => Ok(()),
        _ => Err("not root (the lab needs root: tests/lab/lab.sh up as root)".into()),
    }
}

/// Skips the calling test with one line on stderr (past libtest's output
/// capture, so it shows), or fails it when `VMIGRATE_REQUIRE_LAB=1` says
/// that skipping would let a run without a lab pass.
fn skip(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a lab test")
        .to_string();
    assert!(
        std::env::var_os("VMIGRATE_REQUIRE_LAB").is_none_or(|v| v != "1"),
        "{test}: {why}, and VMIGRATE_REQUIRE_LAB=1 requires the lab"
    );
    // One write, so that the line is not split by libtest's own output.
    let line = format!("{test}: skipped: {why}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// The running lab, shared by all tests of the binary.
pub struct Lab {
    /// The inventory text `lab.sh inventory` printed.
    pub inventory_text: String,
    /// That text written to a file.
    pub inventory: PathBuf,
    /// Every lab host's inventory text, lab4 included (evacuation tests).
    pub all_hosts_text: String,
    _dir: tempfile::TempDir,
}

/// The inventory `text` without the `[[hosts]]` entries named `drop`.
pub fn without_hosts(text: &str, drop: &[&str]) -> String {
    let mut parts = text.split("\n[[hosts]]\n");
    let mut out = parts.next().unwrap_or_default().to_string();
    for entry in parts {
        let name = entry
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .map(|n| n.trim_matches('"'));
        if !name.is_some_and(|n| drop.contains(&n)) {
            out.push_str("\n[[hosts]]\n");
            out.push_str(entry);
        }
    }
    out
}

impl Lab {
    /// The lab, checked healthy once; or why it is not up.
    fn get() -> Result<&'static Lab, String> {
        static LAB: OnceLock<Result<Lab, String>> = OnceLock::new();
        LAB.get_or_init(|| {
            let status = Command::new(lab_script()).arg("status").output();
            match status {
                Ok(o) if o.status.success() => {}
                _ => return Err("the lab is not up (tests/lab/lab.sh up as root)".into()),
            }
            // The tests were written for the transport as configured (a
            // bandwidth cap slows a migration so that a fault can strike
            // mid-way); `--transport auto`, the product's default, would
            // pick XBZRLE for the dirtying guests and change their timing.
            // The transport tests ask for auto themselves.
            let all = lab_sh(&["inventory"]).replacen(
                "[defaults]\n",
                "[defaults]\ntransport = \"manual\"\n",
                1,
            );
            assert!(
                all.contains("transport = \"manual\""),
                "no [defaults] in {all}"
            );
            // lab4 is the evacuation tests' host to empty: every other
            // test sees the three hosts it was written for.
            let text = without_hosts(&all, &["lab4"]);
            let dir = tempfile::tempdir().unwrap();
            let inventory = dir.path().join("inventory.toml");
            std::fs::write(&inventory, &text).unwrap();
            Ok(Lab {
                inventory_text: text,
                inventory,
                all_hosts_text: all,
                _dir: dir,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// The lab and the test's guard; `None` (the test skips) without one.
    /// The lock comes first: while another test holds the lab exclusively,
    /// a host may be down on purpose, and the health check waits for it.
    fn take(exclusive: bool) -> Option<(&'static Lab, LabGuard)> {
        root()
            .and_then(|()| lab_lock(exclusive))
            .and_then(|g| Lab::get().map(|lab| (lab, g)))
            .map_err(|why| skip(&why))
            .ok()
    }

    /// Shared access: the lab stays as `up` left it for the guard's life.
    pub fn shared() -> Option<(&'static Lab, LabGuard)> {
        Lab::take(false)
    }

    /// Exclusive access, for tests that break a host and repair it.
    pub fn exclusive() -> Option<(&'static Lab, LabGuard)> {
        Lab::take(true)
    }

    /// The lab inventory's path, as `-i` takes it.
    pub fn inv(&self) -> &str {
        self.inventory.to_str().unwrap()
    }

    /// Writes the inventory of every lab host (lab4 included) into `dir`,
    /// edited by `f`.
    pub fn all_hosts_inventory(&self, dir: &Path, f: impl FnOnce(String) -> String) -> PathBuf {
        let path = dir.join("inventory-all.toml");
        std::fs::write(&path, f(self.all_hosts_text.clone())).unwrap();
        path
    }

    /// Names of the lab hosts, in inventory order.
    #[allow(
        clippy::unused_self,
        reason = "tests read `lab.hosts()`; the names come from lab.sh, which set this lab up"
    )]
    pub fn hosts(&self) -> Vec<String> {
        lab_sh(&["hosts"])
            .lines()
            .filter(|h| *h != "lab4")
            .map(str::to_string)
            .collect()
    }

    /// Writes a variant of the lab inventory (edited by `f`) into `dir`.
    pub fn inventory_with(&self, dir: &Path, f: impl FnOnce(String) -> String) -> PathBuf {
        let path = dir.join("inventory.toml");
        std::fs::write(&path, f(self.inventory_text.clone())).unwrap();
        path
    }
}

/// One run of the built `vmigrate` binary, set up step by step (as
/// ripgrep's `TestCommand`): `Vm::cmd().inventory(inv).json().args([…]).run()`.
/// stdin is closed, stdout and stderr are captured, there is no terminal.
pub struct Vm {
    front: Vec<OsString>,
    args: Vec<OsString>,
    state: Option<PathBuf>,
    envs: Vec<(OsString, OsString)>,
    dir: Option<PathBuf>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    umask_000: bool,
}

impl Vm {
    /// A run with no arguments yet. Its state directory is the calling lab
    /// test's own ([`LabGuard::state`]) unless [`Vm::state`] names another;
    /// outside a lab test (no journal is written there) a fixed temporary one.
    pub fn cmd() -> Vm {
        Vm {
            front: Vec::new(),
            args: Vec::new(),
            state: None,
            envs: Vec::new(),
            dir: None,
            stdout: None,
            stderr: None,
            umask_000: false,
        }
    }

    /// `-i PATH`.
    pub fn inventory(mut self, path: impl AsRef<OsStr>) -> Vm {
        self.front.extend(["-i".into(), path.as_ref().into()]);
        self
    }

    /// `-o json`.
    pub fn json(mut self) -> Vm {
        self.front.extend(["-o".into(), "json".into()]);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Vm {
        self.args.push(arg.as_ref().into());
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Vm {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().into()));
        self
    }

    /// `VMIGRATE_STATE_DIR`: share a journal and locks with other runs
    /// given the same directory.
    pub fn state(mut self, dir: impl AsRef<Path>) -> Vm {
        self.state = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Vm {
        self.envs.push((key.as_ref().into(), value.as_ref().into()));
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Vm {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Where stdout goes (default: captured).
    pub fn stdout(mut self, to: impl Into<Stdio>) -> Vm {
        self.stdout = Some(to.into());
        self
    }

    /// Where stderr goes (default: captured).
    pub fn stderr(mut self, to: impl Into<Stdio>) -> Vm {
        self.stderr = Some(to.into());
        self
    }

    /// Runs under `umask 000` (through `sh`), as a careless operator might.
    pub fn umask_000(mut self) -> Vm {
        self.umask_000 = true;
        self
    }

    fn command(self) -> Command {
        let bin = env!("CARGO_BIN_EXE_vmigrate");
        let mut c = if self.umask_000 {
            let mut c = Command::new("sh");
            c.args(["-c", "umask 000; exec \"$0\" \"$@\"", bin]);
            c
        } else {
            Command::new(bin)
        };
        let state = self.state.unwrap_or_else(|| {
            TEST_STATE
                .with(|s| s.borrow().clone())
                .unwrap_or_else(|| std::env::temp_dir().join("vmigrate-it-state"))
        });
        c.args(self.front)
            .args(self.args)
            .env("VMIGRATE_STATE_DIR", state)
            .env_remove("VMIGRATE_INVENTORY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(self.stdout.unwrap_or_else(Stdio::piped))
            .stderr(self.stderr.unwrap_or_else(Stdio::piped))
            .envs(self.envs);
        if let Some(d) = self.dir {
            c.current_dir(d);
        }
        c
    }

    /// Runs to the end.
    pub fn run(self) -> Run {
        Run::from(self.command().output().expect("run vmigrate"))
    }

    /// Starts it and returns at once.
    pub fn spawn(self) -> Child {
        self.command().spawn().expect("start vmigrate")
    }
}

/// The result of one `vmigrate` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Waits for a spawned run to end.
    pub fn wait(child: Child) -> Run {
        Run::from(child.wait_with_output().expect("wait for vmigrate"))
    }

    /// stdout parsed as JSON (the `-o json` contract).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// stdout as JSON, or `null` when it is not (a run that failed early).
    pub fn doc(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or(serde_json::Value::Null)
    }
}

/// Runs the built binary with `args` (see [`Vm`]).
pub fn vmigrate(args: &[&str]) -> Run {
    Vm::cmd().args(args).run()
}

/// Ctrl-C to a running `vmigrate` (SIGINT, as a terminal sends it).
pub fn sigint(child: &Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT {}", child.id());
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

/// Looks up check `id` in a `check`/`live -o json` document.
pub fn check_row<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {doc:#}"))
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {doc:#}"))
}

/// Creates a test VM on a lab host and removes it when dropped.
pub struct TestVm {
    pub host: String,
    pub name: String,
}

impl TestVm {
    /// An idle guest on `host` with a `disk` of that kind (net|local|shared).
    /// A leftover of an interrupted earlier run, on any host (it may have
    /// been migrated), is removed first so that it cannot fail this one.
    pub fn create(host: &str, name: &str, disk: &str) -> TestVm {
        TestVm::create_with(host, name, &["--disk", disk])
    }

    /// A guest on `host` made by `lab.sh vm create HOST NAME FLAGS…`.
    pub fn create_with(host: &str, name: &str, flags: &[&str]) -> TestVm {
        destroy_everywhere(name);
        let mut a = vec!["vm", "create", host, name];
        a.extend_from_slice(flags);
        lab_sh(&a);
        TestVm {
            host: host.to_string(),
            name: name.to_string(),
        }
    }

    /// A guest on `host` whose local disk holds `mib` MiB of data: a block
    /// migration of it takes a while under a bandwidth cap.
    pub fn filled(host: &str, name: &str, mib: u32) -> TestVm {
        let fill = mib.to_string();
        TestVm::create_with(host, name, &["--disk", "local", "--fill", &fill])
    }

    /// A memory-dirtying guest (sweeping 1..`mib` MiB) on `host`, once it
    /// has booted and its counters move.
    pub fn dirtying(host: &str, name: &str, mib: u32) -> TestVm {
        TestVm::dirtying_slowed(host, name, mib, 0)
    }

    /// The dirtying guest with `spin` busy-loop turns per page: its dirty
    /// rate then scales with the CPU it gets (what auto-converge throttles).
    pub fn dirtying_slowed(host: &str, name: &str, mib: u32, spin: u32) -> TestVm {
        let (m, s) = (mib.to_string(), spin.to_string());
        let flags = ["--disk", "net", "--dirty", &m, "--dirty-spin", &s];
        let vm = TestVm::create_with(host, name, &flags);
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

impl Drop for TestVm {
    fn drop(&mut self) {
        lab_try(&["vm", "destroy", &self.host, &self.name]);
    }
}

/// Removes `name` (domain and disk) from every lab host.
pub fn destroy_everywhere(name: &str) {
    for h in lab_sh(&["hosts"]).lines() {
        lab_try(&["vm", "destroy", h, name]);
    }
}

/// Removes the test's VMs from every host however the test ends (a VM
/// may have moved before an assertion failed).
pub struct Everywhere(pub &'static [&'static str]);

impl Drop for Everywhere {
    fn drop(&mut self) {
        for vm in self.0 {
            destroy_everywhere(vm);
        }
    }
}

/// Starts a lab host's libvirtd again when dropped, should the test fail
/// while it is stopped.
pub struct Restart(pub &'static str);

impl Drop for Restart {
    fn drop(&mut self) {
        lab_try(&["libvirtd", "start", self.0]);
    }
}

/// Waits (up to `secs`) until `cond` holds.
pub fn wait_for(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < until,
            "timed out after {secs} s waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// `lab.sh ARGS`' stdout when it succeeds, `None` otherwise (a host
/// whose libvirtd is stopped, a VM that is not there).
pub fn lab_out(args: &[&str]) -> Option<String> {
    Command::new(lab_script())
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The lab's directory, where lab.sh keeps its records (`vms/NAME.meta`).
pub fn lab_state_dir() -> PathBuf {
    lab_dir()
}
