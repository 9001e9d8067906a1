//! The bad-input catalogue (issue G2, deliverable 4): one table of mistakes
//! and attacks — command-line arguments, inventory files, the state
//! directory, VM names — each run against the real lab, each with the
//! documented exit code and the words its message must contain.
//!
//! What every row must show, besides its exit code:
//! - `Error`: stderr is exactly one line, `vmigrate: error: …`, containing
//!   the row's words (what is wrong, and what to do); stdout is empty.
//! - `Clap`: argument-parsing errors are clap's own usage output, which may
//!   take several lines (`error: …`, a tip, `Usage: …`): accepted as they
//!   are, but only with exit 2, starting `error: ` and containing the words.
//! - `Report`: the command ran and its result says why (a failing check in
//!   the table on stdout); any stderr lines are `vmigrate: ` notes.
//! - `Warned`: the command succeeded and every stderr line is a
//!   `vmigrate: warning: ` containing the words (a damaged journal).
//!
//! Four domains — two whose names a shell would not take literally
//! (quotes, backticks, `$(…)`, `;`), a unicode one and a 200-byte one — are
//! defined (shut off) on lab1 for the rows that find, check, recover and
//! abort them.
//!
//! Around the whole table (the lab taken exclusively, so no other test's
//! VMs come and go): every host's `virsh list --all --name` and the names
//! and sizes under `/var/lib/libvirt/images` and `/run/vmigrate` are the
//! same after as before, and no file that an injected command would have
//! created (`/tmp/vmigrate-pwned-PID-…`) exists, locally or on any host.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{lab_sh, virsh, Lab, Run, TestVm, Vm};

/// What the output of a row must look like (see the module's doc).
#[derive(Clone, Copy, Debug)]
enum Expect {
    Error(&'static str),
    Clap(&'static str),
    Report(&'static str),
    Warned(&'static str),
}

/// What a row runs in: the lab, its own scratch directory, the test VM.
struct Ctx<'a> {
    lab: &'a Lab,
    dir: PathBuf,
    vm: &'a str,
}

impl Ctx<'_> {
    /// The row's own state directory (created empty).
    fn state(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// A marker file an injected command would create.
    fn marker(&self) -> String {
        format!(
            "{}{}",
            marker_prefix(),
            self.dir.file_name().unwrap().to_string_lossy()
        )
    }

    /// `vmigrate -i LAB ARGS` with the row's state directory.
    fn lab<S: AsRef<std::ffi::OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Vm {
        Vm::cmd()
            .inventory(self.lab.inv())
            .args(args)
            .state(self.state())
    }

    /// `vmigrate -i FILE ARGS`, FILE holding `bytes`.
    fn file(&self, bytes: impl AsRef<[u8]>, args: &[&str]) -> Vm {
        let path = self.dir.join("inventory.toml");
        std::fs::write(&path, bytes).unwrap();
        Vm::cmd().inventory(&path).args(args).state(self.state())
    }

    /// The lab's inventory with `from` replaced by `to` (which must occur).
    fn edit(&self, from: &str, to: &str, args: &[&str]) -> Vm {
        let text = &self.lab.inventory_text;
        assert!(text.contains(from), "the lab inventory lacks {from:?}");
        self.file(text.replacen(from, to, 1), args)
    }

    /// The lab's inventory with `extra` appended.
    fn append(&self, extra: &str, args: &[&str]) -> Vm {
        self.file(format!("{}\n{extra}\n", self.lab.inventory_text), args)
    }
}

type Build = Box<dyn Fn(&Ctx) -> Vm>;

struct Case {
    category: &'static str,
    name: &'static str,
    code: i32,
    expect: Expect,
    build: Build,
}

fn case(
    category: &'static str,
    name: &'static str,
    code: i32,
    expect: Expect,
    build: impl Fn(&Ctx) -> Vm + 'static,
) -> Case {
    Case {
        category,
        name,
        code,
        expect,
        build: Box::new(build),
    }
}

/// The name every marker file starts with: this process's, so that a
/// leftover of another run cannot fail this one.
fn marker_name() -> String {
    format!("vmigrate-pwned-{}-", std::process::id())
}

/// The prefix of every marker path (libvirt names cannot hold a '/': those
/// use [`marker_name`] alone, which lands in the shell's directory).
fn marker_prefix() -> String {
    format!("/tmp/{}", marker_name())
}

use Expect::{Clap, Error, Report, Warned};

const ARGS: &str = "arguments";
const INV: &str = "inventory";
const STATE: &str = "state";
const NAMES: &str = "vm names";

/// Shorthand: `vmigrate -i LAB check VM ARGS…` with the test VM.
fn check_vm(c: &Ctx, extra: &[&str]) -> Vm {
    c.lab(["check", c.vm]).args(extra)
}

fn live_vm(c: &Ctx, extra: &[&str]) -> Vm {
    c.lab(["live", c.vm]).args(extra)
}

#[allow(clippy::too_many_lines, reason = "the table is the test")]
fn cases() -> Vec<Case> {
    let absurd = |flag: &'static str, value: &'static str| {
        move |c: &Ctx| check_vm(c, &[flag, value, "--no-measure"])
    };
    let mut rows = vec![
        // ---- command-line arguments ----
        case(
            ARGS,
            "unknown VM, check",
            3,
            Error("cat-nosuch not found on lab1, lab2, lab3"),
            |c| c.lab(["check", "cat-nosuch"]),
        ),
        case(
            ARGS,
            "unknown VM, live",
            3,
            Error("cat-nosuch not found on lab1, lab2, lab3"),
            |c| c.lab(["live", "cat-nosuch", "--to", "lab2"]),
        ),
        case(
            ARGS,
            "unknown VM, abort",
            3,
            Error("cat-nosuch not found"),
            |c| c.lab(["abort", "cat-nosuch"]),
        ),
        case(
            ARGS,
            "unknown VM, force-complete",
            3,
            Error("cat-nosuch not found"),
            |c| c.lab(["force-complete", "cat-nosuch"]),
        ),
        case(
            ARGS,
            "unknown VM, recover",
            3,
            Error("cat-nosuch not found"),
            |c| c.lab(["recover", "cat-nosuch"]),
        ),
        case(
            ARGS,
            "unknown VM, --from a host it is not on",
            3,
            Error("not found on lab2"),
            |c| live_vm(c, &["--from", "lab2", "--to", "lab3"]),
        ),
        case(
            ARGS,
            "unknown host, check --to",
            2,
            Error("known hosts: lab1, lab2, lab3"),
            |c| check_vm(c, &["--to", "nosuch"]),
        ),
        case(
            ARGS,
            "unknown host, check --from",
            2,
            Error("known hosts: lab1, lab2, lab3"),
            |c| check_vm(c, &["--from", "nosuch"]),
        ),
        case(
            ARGS,
            "unknown host, live --to",
            2,
            Error("known hosts: lab1, lab2, lab3"),
            |c| live_vm(c, &["--to", "nosuch"]),
        ),
        case(
            ARGS,
            "unknown host, abort --from",
            2,
            Error("known hosts: lab1, lab2, lab3"),
            |c| c.lab(["abort", c.vm, "--from", "nosuch"]),
        ),
        case(
            ARGS,
            "unknown host, hosts HOST",
            2,
            Error("known hosts: lab1, lab2, lab3"),
            |c| c.lab(["hosts", "nosuch"]),
        ),
        case(
            ARGS,
            "host with a shell character, --to",
            2,
            Error("not a valid inventory name"),
            |c| live_vm(c, &["--to", "lab2;id"]),
        ),
        case(
            ARGS,
            "--tag with a shell character",
            2,
            Error("not a valid inventory name"),
            |c| check_vm(c, &["--tag", "a;b"]),
        ),
        case(
            ARGS,
            "--zone empty",
            2,
            Error("not a valid inventory name"),
            |c| check_vm(c, &["--zone", ""]),
        ),
        case(
            ARGS,
            "--to the source itself",
            3,
            Report("dest.not_source"),
            |c| live_vm(c, &["--to", "lab1"]),
        ),
        case(
            ARGS,
            "--block-migration yes with shared storage only",
            3,
            Report("storage.mode"),
            |c| live_vm(c, &["--to", "lab2", "--block-migration", "yes"]),
        ),
        case(
            ARGS,
            "--zone no host is in",
            3,
            Report("scheduler.destination"),
            |c| check_vm(c, &["--zone", "nowhere", "--no-measure"]),
        ),
        case(
            ARGS,
            "--on-timeout postcopy without --postcopy",
            2,
            Error("add --postcopy"),
            |c| live_vm(c, &["--to", "lab2", "--on-timeout", "postcopy"]),
        ),
        case(
            ARGS,
            "--downtime-start above --max-downtime",
            2,
            Error("lower the start or raise --max-downtime"),
            |c| check_vm(c, &["--downtime-start", "600", "--max-downtime", "500"]),
        ),
        case(
            ARGS,
            "--measure with --no-measure",
            2,
            Clap("cannot be used with"),
            |c| check_vm(c, &["--measure", "5", "--no-measure"]),
        ),
        case(
            ARGS,
            "--events - with -o json",
            2,
            Error("write the events to a file"),
            |c| live_vm(c, &["--to", "lab2", "--events", "-", "-o", "json"]),
        ),
        case(
            ARGS,
            "--events in a missing directory",
            2,
            Error("--events"),
            |c| {
                live_vm(
                    c,
                    &["--to", "lab2", "--events", "/nonexistent-dir/ev.jsonl"],
                )
            },
        ),
        // `--bandwidth 0` means "no cap" (it lifts an inventory's cap).
        case(
            ARGS,
            "--bandwidth above 1 TB/s",
            2,
            Clap("0..=1000000"),
            absurd("--bandwidth", "1000001"),
        ),
        case(
            ARGS,
            "--bandwidth beyond u64",
            2,
            Clap("--bandwidth"),
            absurd("--bandwidth", "18446744073709551616"),
        ),
        case(
            ARGS,
            "--bandwidth negative",
            2,
            Clap("'-1'"),
            absurd("--bandwidth", "-1"),
        ),
        case(
            ARGS,
            "--bandwidth not a number",
            2,
            Clap("invalid digit"),
            absurd("--bandwidth", "1e3"),
        ),
        case(
            ARGS,
            "--max-downtime above 10 min",
            2,
            Clap("1..=600000"),
            absurd("--max-downtime", "600001"),
        ),
        case(
            ARGS,
            "--downtime-start 0",
            2,
            Clap("1..=600000"),
            absurd("--downtime-start", "0"),
        ),
        case(
            ARGS,
            "--downtime-steps 0",
            2,
            Clap("1..=100"),
            absurd("--downtime-steps", "0"),
        ),
        case(
            ARGS,
            "--downtime-steps 101",
            2,
            Clap("1..=100"),
            absurd("--downtime-steps", "101"),
        ),
        case(
            ARGS,
            "--downtime-delay above a day",
            2,
            Clap("0..=86400"),
            absurd("--downtime-delay", "86401"),
        ),
        case(
            ARGS,
            "--stall-iterations 0",
            2,
            Clap("1..=1000"),
            absurd("--stall-iterations", "0"),
        ),
        case(
            ARGS,
            "--stall-secs above a day",
            2,
            Clap("1..=86400"),
            absurd("--stall-secs", "86401"),
        ),
        case(
            ARGS,
            "--completion-timeout above a day",
            2,
            Clap("0..=86400"),
            absurd("--completion-timeout", "86401"),
        ),
        case(ARGS, "--measure 0", 2, Clap("1..=60"), |c| {
            check_vm(c, &["--measure", "0"])
        }),
        case(ARGS, "--measure 61", 2, Clap("1..=60"), |c| {
            check_vm(c, &["--measure", "61"])
        }),
        case(
            ARGS,
            "--on-timeout unknown action",
            2,
            Clap("possible values"),
            absurd("--on-timeout", "explode"),
        ),
        case(
            ARGS,
            "--block-migration maybe",
            2,
            Clap("possible values"),
            absurd("--block-migration", "maybe"),
        ),
        case(
            ARGS,
            "--policy unknown",
            2,
            Clap("possible values"),
            absurd("--policy", "sometimes"),
        ),
        case(
            ARGS,
            "force-complete --mode unknown",
            2,
            Clap("possible values"),
            |c| c.lab(["force-complete", c.vm, "--mode", "now"]),
        ),
        case(
            ARGS,
            "--to without a value",
            2,
            Clap("a value is required"),
            |c| check_vm(c, &["--to"]),
        ),
        case(
            ARGS,
            "check without a VM",
            2,
            Clap("required arguments were not provided"),
            |c| c.lab(["check"]),
        ),
        case(
            ARGS,
            "unknown subcommand",
            2,
            Clap("unrecognized subcommand"),
            // Not `migrate`: that is `live`'s alias (and would move the VM).
            |c| c.lab(["teleport", c.vm]),
        ),
        case(ARGS, "unknown flag", 2, Clap("unexpected argument"), |c| {
            check_vm(c, &["--force"])
        }),
        case(ARGS, "-o yaml", 2, Clap("possible values"), |c| {
            c.lab(["-o", "yaml", "hosts"])
        }),
        case(
            ARGS,
            "completions for an unknown shell",
            2,
            Clap("possible values"),
            |c| c.lab(["completions", "tcsh"]),
        ),
        // ---- inventory files ----
        case(INV, "missing file", 2, Error("check the path"), |c| {
            Vm::cmd()
                .inventory(c.dir.join("nope.toml"))
                .arg("hosts")
                .state(c.state())
        }),
        case(INV, "TOML syntax error", 2, Error("inventory.toml:"), |c| {
            c.append("[[hosts]\nname = \"x\"", &["hosts"])
        }),
        case(INV, "a NUL byte", 2, Error("inventory.toml:"), |c| {
            c.append("# \0", &["hosts"])
        }),
        case(
            INV,
            "port as a string",
            2,
            Error("remove the quotes"),
            |c| c.edit("port = 22", "port = \"22\"", &["hosts"]),
        ),
        case(
            INV,
            "user as an array",
            2,
            Error("expected a string"),
            |c| c.edit("user = \"root\"", "user = [\"root\"]", &["hosts"]),
        ),
        case(INV, "hosts as a string", 2, Error("inventory.toml:"), |c| {
            c.file("hosts = \"lab1\"\n", &["hosts"])
        }),
        case(INV, "port 0", 2, Error("inventory.toml:"), |c| {
            c.edit("port = 22", "port = 0", &["hosts"])
        }),
        case(INV, "port 65536", 2, Error("inventory.toml:"), |c| {
            c.edit("port = 22", "port = 65536", &["hosts"])
        }),
        case(INV, "negative ratio", 2, Error("inventory.toml:"), |c| {
            c.edit(
                "port = 22",
                "port = 22\nram_allocation_ratio = -1.5",
                &["hosts"],
            )
        }),
        case(
            INV,
            "unknown key in [defaults]",
            2,
            Error("fix the spelling or remove the key"),
            |c| c.edit("port = 22", "port = 22\nbogus = 1", &["hosts"]),
        ),
        case(
            INV,
            "unknown key in a host",
            2,
            Error("fix the spelling or remove the key"),
            |c| {
                c.edit(
                    "zone = \"lab\"",
                    "zone = \"lab\"\npasword = \"x\"",
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "unknown top-level table",
            2,
            Error("inventory.toml:"),
            |c| c.append("[evil]\nx = 1", &["hosts"]),
        ),
        case(
            INV,
            "duplicate host names",
            2,
            Error("inventory.toml:"),
            |c| {
                c.append(
                    "[[hosts]]\nname = \"lab1\"\naddress = \"10.213.77.12\"",
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "one host under two names",
            2,
            Error("lab1 and lab1-alias are the same host"),
            |c| {
                c.append(
                    "[[hosts]]\nname = \"lab1-alias\"\naddress = \"10.213.77.11\"",
                    &["check", c.vm, "--no-measure"],
                )
            },
        ),
        case(
            INV,
            "no hosts (empty file)",
            2,
            Error("add at least one [[hosts]]"),
            |c| c.file("", &["hosts"]),
        ),
        case(
            INV,
            "a host name of 65 characters",
            2,
            Error("1 to 64 characters"),
            |c| {
                c.edit(
                    "name = \"lab3\"",
                    &format!("name = \"{}\"", "h".repeat(65)),
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: $() in a host name",
            2,
            Error("invalid host name"),
            |c| {
                c.edit(
                    "name = \"lab3\"",
                    &format!("name = \"l$(touch {})\"", c.marker()),
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: backticks in a host name",
            2,
            Error("invalid host name"),
            |c| {
                c.edit(
                    "name = \"lab3\"",
                    &format!("name = \"l`touch {}`\"", c.marker()),
                    &["check", "x"],
                )
            },
        ),
        case(
            INV,
            "injection: newline in a host name",
            2,
            Error("invalid host name"),
            |c| c.edit("name = \"lab3\"", "name = \"lab3\\nlab4\"", &["hosts"]),
        ),
        case(
            INV,
            "injection: ; in an address",
            2,
            Error("invalid address"),
            |c| {
                c.edit(
                    "\"10.213.77.13\"",
                    &format!("\"10.213.77.13;touch {}\"", c.marker()),
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: backticks in an address",
            2,
            Error("invalid address"),
            |c| {
                c.edit(
                    "\"10.213.77.13\"",
                    &format!("\"`touch {}`\"", c.marker()),
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: an ssh option as the address",
            2,
            Error("invalid address"),
            |c| {
                c.edit(
                    "\"10.213.77.13\"",
                    &format!("\"-oProxyCommand=touch {}\"", c.marker()),
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: newline in an address",
            2,
            Error("invalid address"),
            |c| {
                c.edit(
                    "\"10.213.77.13\"",
                    "\"10.213.77.13\\nProxyCommand x\"",
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: ; in the user",
            2,
            Error("invalid user"),
            |c| {
                c.edit(
                    "user = \"root\"",
                    &format!("user = \"root;touch {}\"", c.marker()),
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: an ssh option as the user",
            2,
            Error("invalid user"),
            |c| {
                c.edit(
                    "user = \"root\"",
                    &format!("user = \"-oProxyCommand=touch {}\"", c.marker()),
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: unknown placeholder in a URI template",
            2,
            Error("inventory.toml:"),
            |c| {
                c.edit(
                    "peer_uri = ",
                    "migration_uri = \"tcp://{address}{evil}\"\npeer_uri = ",
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: a stray brace in a URI template",
            2,
            Error("inventory.toml:"),
            |c| {
                c.edit(
                    "peer_uri = ",
                    "migration_uri = \"tcp://{address\"\npeer_uri = ",
                    &["hosts"],
                )
            },
        ),
        case(
            INV,
            "injection: $() in the peer URI never runs",
            3,
            Report("dest.not_source"),
            |c| {
                c.edit(
                    "&no_tty=1\"",
                    &format!("&no_tty=1&x=$(touch {})\"", c.marker()),
                    &["live", c.vm, "--to", "lab1"],
                )
            },
        ),
        case(
            INV,
            "binary garbage",
            2,
            Error("cannot read inventory"),
            |c| c.file(garbage(3000), &["hosts"]),
        ),
        case(INV, "a directory", 2, Error("not a regular file"), |c| {
            std::fs::create_dir_all(c.dir.join("d.toml")).unwrap();
            Vm::cmd()
                .inventory(c.dir.join("d.toml"))
                .arg("hosts")
                .state(c.state())
        }),
        case(
            INV,
            "a FIFO (never read)",
            2,
            Error("not a regular file"),
            |c| {
                let fifo = c.dir.join("fifo.toml");
                assert!(std::process::Command::new("mkfifo")
                    .arg(&fifo)
                    .status()
                    .unwrap()
                    .success());
                Vm::cmd().inventory(fifo).arg("hosts").state(c.state())
            },
        ),
        case(INV, "/dev/zero", 2, Error("not a regular file"), |c| {
            Vm::cmd()
                .inventory("/dev/zero")
                .arg("hosts")
                .state(c.state())
        }),
        case(INV, "a 5 MiB file", 2, Error("larger than 4 MiB"), |c| {
            let mut t = c.lab.inventory_text.clone();
            t.push_str(&"#".repeat(5 << 20));
            c.file(t, &["hosts"])
        }),
        case(
            INV,
            "arrays nested 100000 deep",
            2,
            Error("inventory.toml:"),
            |c| c.file(format!("x = {}", "[".repeat(100_000)), &["hosts"]),
        ),
        // ---- the state directory ----
        case(
            STATE,
            "VMIGRATE_STATE_DIR is a regular file, live",
            2,
            Error("VMIGRATE_STATE_DIR"),
            |c| {
                std::fs::write(c.state(), "x").unwrap();
                live_vm(c, &["--to", "lab2"])
            },
        ),
        case(
            STATE,
            "VMIGRATE_STATE_DIR is a regular file, recover",
            2,
            Error("VMIGRATE_STATE_DIR"),
            |c| {
                std::fs::write(c.state(), "x").unwrap();
                c.lab(["recover", c.vm])
            },
        ),
        case(
            STATE,
            "VMIGRATE_STATE_DIR below a regular file",
            2,
            Error("VMIGRATE_STATE_DIR"),
            |c| {
                std::fs::write(c.dir.join("f"), "x").unwrap();
                live_vm(c, &["--to", "lab2"]).state(c.dir.join("f/state"))
            },
        ),
        case(STATE, "locks/ is a regular file", 2, Error("locks"), |c| {
            std::fs::create_dir_all(c.state()).unwrap();
            std::fs::write(c.state().join("locks"), "").unwrap();
            live_vm(c, &["--to", "lab2"])
        }),
        case(
            STATE,
            "the VM's lock is a directory",
            2,
            Error("cannot open the lock"),
            |c| {
                std::fs::create_dir_all(
                    c.state().join("locks").join(format!("{}.lock", hex(c.vm))),
                )
                .unwrap();
                live_vm(c, &["--to", "lab2"])
            },
        ),
        case(
            STATE,
            "a stale lock file does not block",
            3,
            Report("dest.not_source"),
            |c| {
                let l = c.state().join("locks");
                std::fs::create_dir_all(&l).unwrap();
                std::fs::write(l.join(format!("{}.lock", hex(c.vm))), "").unwrap();
                live_vm(c, &["--to", "lab1"])
            },
        ),
        case(
            STATE,
            "a held lock refuses a second live",
            3,
            Error("another vmigrate is already migrating"),
            |c| {
                let l = c.state().join("locks");
                std::fs::create_dir_all(&l).unwrap();
                let f = std::fs::File::create(l.join(format!("{}.lock", hex(c.vm)))).unwrap();
                f.lock().unwrap();
                std::mem::forget(f);
                live_vm(c, &["--to", "lab2"])
            },
        ),
        case(
            STATE,
            "the journal is a directory, recover",
            2,
            Error("cannot read the journal"),
            |c| {
                std::fs::create_dir_all(c.state().join("journal.jsonl")).unwrap();
                c.lab(["recover", c.vm])
            },
        ),
        case(
            STATE,
            "binary garbage journal, recover",
            0,
            Warned("is damaged"),
            |c| {
                journal(c, &garbage(600));
                c.lab(["recover", c.vm])
            },
        ),
        case(
            STATE,
            "truncated journal, recover",
            0,
            Warned("line 2 is damaged"),
            |c| {
                journal(c, &truncated(c.vm));
                c.lab(["recover", c.vm])
            },
        ),
        case(
            STATE,
            "truncated journal, recover --dry-run",
            0,
            Warned("line 2 is damaged"),
            |c| {
                journal(c, &truncated(c.vm));
                c.lab(["recover", c.vm, "--dry-run"])
            },
        ),
        // ---- VM names ----
        case(
            NAMES,
            "$() in a VM name, check",
            3,
            Error("not found on lab1, lab2, lab3"),
            |c| c.lab(["check".to_string(), format!("x$(touch {})", c.marker())]),
        ),
        case(
            NAMES,
            "backticks in a VM name, live",
            3,
            Error("not found on lab1, lab2, lab3"),
            |c| {
                c.lab([
                    "live".to_string(),
                    format!("x`touch {}`", c.marker()),
                    "--to".into(),
                    "lab2".into(),
                ])
            },
        ),
        case(
            NAMES,
            "; in a VM name, recover",
            3,
            Error("not found on lab1, lab2, lab3"),
            |c| c.lab(["recover".to_string(), format!("x;touch {}", c.marker())]),
        ),
        case(
            NAMES,
            "quotes in a VM name, abort",
            3,
            Error("not found on lab1, lab2, lab3"),
            |c| c.lab(["abort".to_string(), format!("x'\"$(touch {})'", c.marker())]),
        ),
        case(
            NAMES,
            "a newline in a VM name",
            3,
            Error("x\\ntouch"),
            |c| c.lab(["check".to_string(), format!("x\ntouch {}", c.marker())]),
        ),
        case(
            NAMES,
            "a carriage return in a VM name",
            3,
            Error("x\\rfake"),
            |c| c.lab(["check", "x\rfake"]),
        ),
        case(
            NAMES,
            "a terminal escape in a VM name",
            3,
            Error("\\u{1b}[2J"),
            |c| c.lab(["check", "x\u{1b}[2Jy"]),
        ),
        case(
            NAMES,
            "a right-to-left override in a VM name",
            3,
            Error("\\u{202e}"),
            |c| c.lab(["force-complete", "x\u{202e}txt"]),
        ),
        case(
            NAMES,
            "a unicode VM name",
            3,
            Error("名前ü not found"),
            |c| c.lab(["check", "名前ü"]),
        ),
        case(NAMES, "a slash in a VM name", 3, Error("not found"), |c| {
            c.lab(["live", "../../etc/passwd", "--to", "lab2"])
        }),
        case(
            NAMES,
            "a VM name starting with -",
            3,
            Error("not found"),
            |c| c.lab(["check", "--", "-rf"]),
        ),
        case(NAMES, "an empty VM name", 3, Error("not found"), |c| {
            c.lab(["check", ""])
        }),
        case(
            NAMES,
            "a VM name of 5000 characters",
            3,
            Error("not found"),
            |c| {
                c.lab([
                    "live".to_string(),
                    "v".repeat(5000),
                    "--to".into(),
                    "lab2".into(),
                ])
            },
        ),
    ];
    // Domains with such names, defined (shut off) on lab1: found, judged
    // and reported like any other, and nothing they carry runs.
    for (label, name) in defined_names() {
        let n = name.clone();
        rows.push(case(
            NAMES,
            label.check,
            3,
            Report("source.vm_state"),
            move |c| c.lab(["check", n.as_str(), "--no-measure"]),
        ));
        let n = name.clone();
        rows.push(case(
            NAMES,
            label.live,
            3,
            Report("source.vm_state"),
            move |c| c.lab(["live", n.as_str(), "--to", "lab2"]),
        ));
        let n = name.clone();
        rows.push(case(
            NAMES,
            label.recover,
            5,
            Report("runs nowhere"),
            move |c| c.lab(["recover", n.as_str()]),
        ));
        rows.push(case(
            NAMES,
            label.abort,
            0,
            Report("nothing to abort"),
            move |c| c.lab(["abort", name.as_str()]),
        ));
    }
    rows
}

/// Row names for one defined domain.
struct Labels {
    check: &'static str,
    live: &'static str,
    recover: &'static str,
    abort: &'static str,
}

/// Names libvirt accepts (no '/', no line break) that a shell would not
/// take literally, unicode, and one of 200 bytes (its lock file's name is
/// hashed): each with its rows' names.
fn defined_names() -> Vec<(Labels, String)> {
    vec![
        (
            Labels {
                check: "defined domain named $(touch …), check",
                live: "defined domain named $(touch …), live",
                recover: "defined domain named $(touch …), recover",
                abort: "defined domain named $(touch …), abort",
            },
            format!("cat-$(touch {}dom)", marker_name()),
        ),
        (
            Labels {
                check: "defined domain with quotes, backticks and ;, check",
                live: "defined domain with quotes, backticks and ;, live",
                recover: "defined domain with quotes, backticks and ;, recover",
                abort: "defined domain with quotes, backticks and ;, abort",
            },
            format!(
                "cat-'q\"`touch {}q`;touch {}s",
                marker_name(),
                marker_name()
            ),
        ),
        (
            Labels {
                check: "defined domain with a unicode name, check",
                live: "defined domain with a unicode name, live",
                recover: "defined domain with a unicode name, recover",
                abort: "defined domain with a unicode name, abort",
            },
            "cat-ü名前-\u{1f600}".to_string(),
        ),
        (
            Labels {
                check: "defined domain with a 200-byte name, check",
                live: "defined domain with a 200-byte name, live",
                recover: "defined domain with a 200-byte name, recover",
                abort: "defined domain with a 200-byte name, abort",
            },
            format!("cat-{}", "n".repeat(196)),
        ),
    ]
}

/// Defines the [`defined_names`] domains on lab1 and undefines them when
/// dropped (and any leftover first).
struct Defined(Vec<String>);

impl Defined {
    fn on_lab1(dir: &std::path::Path) -> Defined {
        let names: Vec<String> = defined_names().into_iter().map(|(_, n)| n).collect();
        let d = Defined(names);
        for (i, n) in d.0.iter().enumerate() {
            crate::util::lab_try(&["virsh", "lab1", "undefine", n]);
            let xml = format!(
                "<domain type='qemu'><name>{}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>",
                n.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&apos;").replace('"', "&quot;")
            );
            let path = dir.join(format!("dom{i}.xml"));
            std::fs::write(&path, xml).unwrap();
            lab_sh(&["virsh", "lab1", "define", path.to_str().unwrap()]);
        }
        d
    }
}

impl Drop for Defined {
    fn drop(&mut self) {
        for n in &self.0 {
            crate::util::lab_try(&["virsh", "lab1", "undefine", n]);
        }
    }
}

/// The VM name as the lock file names it.
fn hex(vm: &str) -> String {
    vm.bytes().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Deterministic bytes that are not UTF-8 (nor TOML).
fn garbage(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 97 == 0 {
                0xff
            } else {
                x.to_le_bytes()[0]
            }
        })
        .collect()
}

/// A journal whose last record was cut mid-line by a crash.
fn truncated(vm: &str) -> Vec<u8> {
    format!(
        "{{\"details\":{{\"block_migration\":false,\"destination\":\"lab2\",\"source\":\"lab1\"}},\"run\":\"1-1\",\"step\":\"start\",\"ts_ms\":1,\"vm\":\"{vm}\"}}\n{{\"details\":{{\"copy_disks\":[],\"dest"
    )
    .into_bytes()
}

fn journal(c: &Ctx, bytes: &[u8]) {
    std::fs::create_dir_all(c.state()).unwrap();
    std::fs::write(c.state().join("journal.jsonl"), bytes).unwrap();
}

/// Runs `vm`, killed after `limit` (a hang is a failure, not a stuck test).
fn bounded(vm: Vm, limit: Duration) -> Option<Run> {
    let started = Instant::now();
    let mut child = vm.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    // Drain the pipes on threads so that a chatty run cannot block.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut b);
        b
    });
    let e = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut b);
        b
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(Run {
                code: status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&o.join().unwrap()).into_owned(),
                stderr: String::from_utf8_lossy(&e.join().unwrap()).into_owned(),
            });
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether stdout is `-o json`'s error document for exit `code`, with the
/// stderr line as its message.
fn json_error(r: &Run, code: i32) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&r.stdout) else {
        return false;
    };
    let e = &doc["error"];
    doc["schema_version"] == 1
        && e["exit"] == code
        && e["code"].is_string()
        && e["hint"].is_string()
        && e["message"].as_str().is_some_and(|m| r.stderr.contains(m))
}

/// Why `r` does not match the row, if it does not.
fn judge(c: &Case, r: &Run) -> Option<String> {
    let mut why = Vec::new();
    if r.code != c.code {
        why.push(format!("exit {} (want {})", r.code, c.code));
    }
    let lines: Vec<&str> = r.stderr.lines().collect();
    match c.expect {
        Error(words) => {
            if lines.len() != 1 || !r.stderr.ends_with('\n') {
                why.push(format!("stderr is {} lines, want one", lines.len()));
            }
            if !r.stderr.starts_with("vmigrate: error: ") {
                why.push("stderr does not start with `vmigrate: error: `".into());
            }
            if !r.stderr.contains(words) {
                why.push(format!("stderr lacks {words:?}"));
            }
            // Under `-o json` the failure is also a document on stdout.
            if !r.stdout.is_empty() && !json_error(r, c.code) {
                why.push("stdout is neither empty nor the JSON error document".into());
            }
        }
        Clap(words) => {
            if c.code != 2 {
                why.push("a clap usage error must be exit 2".into());
            }
            if !r.stderr.starts_with("error: ") || !r.stderr.contains(words) {
                why.push(format!("want clap's `error: …` with {words:?}"));
            }
            if !r.stdout.is_empty() {
                why.push("stdout is not empty".into());
            }
        }
        Report(words) => {
            if !r.stdout.contains(words) {
                why.push(format!("stdout lacks {words:?}"));
            }
            if lines
                .iter()
                .any(|l| !l.starts_with("vmigrate: ") || l.starts_with("vmigrate: error"))
            {
                why.push("stderr has lines that are not vmigrate notes".into());
            }
        }
        Warned(words) => {
            if lines.is_empty() || lines.iter().any(|l| !l.starts_with("vmigrate: warning: ")) {
                why.push("want only `vmigrate: warning: ` lines on stderr".into());
            }
            if !r.stderr.contains(words) {
                why.push(format!("stderr lacks {words:?}"));
            }
        }
    }
    if r.stderr.contains("panicked") || r.code == 101 {
        why.push("panic".into());
    }
    (!why.is_empty()).then(|| {
        format!(
            "{}: {}\n  stderr: {:?}\n  stdout: {:.300?}",
            c.name,
            why.join("; "),
            r.stderr.chars().take(600).collect::<String>(),
            r.stdout
        )
    })
}

/// What must not change on the hosts: domains, disk images, claims.
fn snapshot(hosts: &[String]) -> String {
    let mut s = String::new();
    for h in hosts {
        let _ = writeln!(
            s,
            "## {h} domains\n{}",
            virsh(h, &["list", "--all", "--name"])
        );
        let files = lab_sh(&[
            "exec",
            h,
            "sh",
            "-c",
            "find /var/lib/libvirt/images /run/vmigrate -printf '%p %s %y\\n' 2>/dev/null | sort; true",
        ]);
        let _ = writeln!(s, "## {h} files\n{files}");
    }
    s
}

/// Marker files an injected command created, locally and on every host:
/// in /tmp, or (a bare name) wherever the shell that ran it stood.
fn pwned(hosts: &[String]) -> Vec<String> {
    let find = format!(
        "find / /tmp /root /run /var/lib/libvirt /var/lib/libvirt/images /var/lib/vmigrate-lab \"$PWD\" -maxdepth 1 -name '{}*' 2>/dev/null; true",
        marker_name()
    );
    let mut found: Vec<String> = std::process::Command::new("sh")
        .args(["-c", &find])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| format!("local {l}"))
                .collect()
        })
        .unwrap_or_default();
    for h in hosts {
        let out = lab_sh(&["exec", h, "sh", "-c", &find]);
        found.extend(out.lines().map(|l| format!("{h} {l}")));
    }
    found
}

#[test]
fn the_bad_input_catalogue() {
    let Some((lab, guard)) = Lab::exclusive() else {
        return;
    };
    let started = Instant::now();
    let vm = TestVm::create("lab1", "cat-vm", "net");
    let _defined = Defined::on_lab1(guard.state());
    let hosts = lab.hosts();
    let before = snapshot(&hosts);
    let cases = cases();
    let mut failures = Vec::new();
    let mut per_category = std::collections::BTreeMap::<&str, usize>::new();
    for (i, c) in cases.iter().enumerate() {
        *per_category.entry(c.category).or_default() += 1;
        let dir = guard.state().join(format!("case{i:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        let ctx = Ctx {
            lab,
            dir: dir.clone(),
            vm: &vm.name,
        };
        let cmd = (c.build)(&ctx);
        let t = Instant::now();
        match bounded(cmd, Duration::from_secs(60)) {
            None => failures.push(format!("{}: no answer in 60 s (killed)", c.name)),
            Some(r) => failures.extend(judge(c, &r)),
        }
        let took = t.elapsed();
        if took > Duration::from_secs(10) {
            failures.push(format!("{}: took {took:?}", c.name));
        }
    }
    let after = snapshot(&hosts);
    let pwned = pwned(&hosts);
    eprintln!(
        "catalogue: {} cases ({per_category:?}) in {:?}",
        cases.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(before, after, "host state changed");
    assert!(pwned.is_empty(), "injected commands ran: {pwned:?}");
    assert!(cases.len() >= 60, "{} cases", cases.len());
}
