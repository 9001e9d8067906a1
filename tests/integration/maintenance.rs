//! Lab tests of maintenance marks: a mark set on lab3 by one operator is
//! seen by another's `hosts`, `check` and `live` (a different state
//! directory: nothing is shared but the host), never chosen, refused with
//! `--to` naming the mark; cleared, lab3 is chosen again. The mark's modes
//! under a hostile umask, `on` twice (the first mark kept), two `on` at
//! once (one mark, both succeed) and `status` of every host.
//!
//! A mark on lab3 changes what every other test's scheduler may choose, so
//! these tests take the lab exclusively, keep the window short and remove
//! the mark however they end.

use std::path::Path;

use serde_json::Value;

use crate::util::{check_row, host_row, lab_sh, lab_try, state, Lab, Run, TestVm, Vm};

/// The mark's file on a host.
const FILE: &str = "/var/lib/libvirt/vmigrate/maintenance.json";

/// Removes lab3's mark when dropped, whatever the test did.
struct Off;

impl Drop for Off {
    fn drop(&mut self) {
        lab_try(&["exec", "lab3", "rm", "-f", FILE]);
    }
}

/// `vmigrate -i INV -o json ARGS` with the state directory `state` (an
/// operator of its own).
fn run(inv: &str, state: &Path, args: &[&str]) -> Run {
    Vm::cmd()
        .inventory(inv)
        .json()
        .state(state)
        .args(args)
        .run()
}

/// The scheduler's reason for `host`.
fn candidate_reason(doc: &Value, host: &str) -> String {
    doc["candidates"]
        .as_array()
        .unwrap_or_else(|| panic!("no candidates in {doc:#}"))
        .iter()
        .find(|c| c["host"] == host)
        .unwrap_or_else(|| panic!("no candidate {host} in {doc:#}"))["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_mark_is_seen_by_every_operator_and_its_host_never_chosen() {
    let Some((lab, guard)) = Lab::exclusive() else {
        return;
    };
    let _off = Off;
    lab_try(&["exec", "lab3", "rm", "-f", FILE]);
    let vm = TestVm::create("lab1", "mnt-vm", "net");
    let dir = tempfile::tempdir().unwrap();
    // lab2 disabled: lab3 is the only place the scheduler could choose.
    let inv = lab.inventory_with(dir.path(), |t| {
        t.replace("name = \"lab2\"", "name = \"lab2\"\ndisabled = true")
    });
    let inv = inv.to_str().unwrap();
    let (me, other) = (guard.state(), dir.path().join("other-operator"));
    let reason = "kernel 'update' $(touch /tmp/x) `id` \"q\"";

    let on = Vm::cmd()
        .inventory(inv)
        .json()
        .args(["maintenance", "lab3", "on", "--reason", reason])
        .umask_000()
        .run();
    assert_eq!(on.code, 0, "{on:?}");
    let row = &on.json()["hosts"][0];
    assert_eq!(row["changed"], true, "{row:#}");
    assert_eq!(row["maintenance"]["reason"], reason);
    assert!(row["maintenance"]["by"].as_str().unwrap().contains(" pid "));
    assert!(!lab_try(&["exec", "lab3", "test", "-e", "/tmp/x"]));
    let mode = |p: &str| lab_sh(&["exec", "lab3", "stat", "-c", "%a", p]);
    assert_eq!(mode("/var/lib/libvirt/vmigrate").trim(), "700");
    assert_eq!(mode(FILE).trim(), "600");

    seen_by_another_operator(inv, &other, &vm.name, reason);

    // `on` again keeps the first mark and says who set it.
    let again = run(inv, me, &["maintenance", "lab3", "on", "--reason", "other"]);
    assert_eq!(again.code, 0, "{again:?}");
    let row = &again.json()["hosts"][0];
    assert_eq!(
        (row["changed"].clone(), row["maintenance"]["reason"].clone()),
        (Value::Bool(false), Value::from(reason))
    );
    let table = Vm::cmd()
        .inventory(inv)
        .args(["maintenance", "lab3", "on"])
        .run();
    assert!(
        table.stdout.contains("was already in maintenance"),
        "{table:?}"
    );

    // Off: chosen again, by the other operator too.
    let off = run(inv, me, &["maintenance", "lab3", "off"]);
    assert_eq!(
        (off.code, off.json()["hosts"][0]["changed"].clone()),
        (0, Value::Bool(true)),
        "{off:?}"
    );
    assert!(!lab_try(&["exec", "lab3", "test", "-e", FILE]));
    let sched = run(inv, &other, &["check", &vm.name, "--no-measure"]);
    assert_eq!(sched.code, 0, "{sched:?}");
    assert_eq!(sched.json()["destination"], "lab3");
    let off = run(inv, me, &["maintenance", "lab3", "off"]);
    assert_eq!(
        (off.code, off.json()["hosts"][0]["changed"].clone()),
        (0, Value::Bool(false))
    );
}

/// Another operator (own state directory) sees lab3's mark everywhere:
/// `hosts`, `check --to` (refused, naming the mark), the scheduler (lab3
/// rejected with the mark) and `live` (nowhere to go: exit 3, VM stays).
fn seen_by_another_operator(inv: &str, other: &Path, vm: &str, reason: &str) {
    let hosts = run(inv, other, &["hosts", "lab3"]);
    assert_eq!(
        host_row(&hosts.json(), "lab3")["maintenance"]["reason"],
        reason
    );
    let to = run(inv, other, &["check", vm, "--to", "lab3", "--no-measure"]);
    assert_eq!(to.code, 3, "{to:?}");
    let enabled = check_row(&to.json(), "dest.enabled").clone();
    assert_eq!(enabled["status"], "fail");
    let msg = enabled["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("lab3 is in maintenance") && msg.contains(reason),
        "{msg}"
    );
    let sched = run(inv, other, &["check", vm, "--no-measure"]);
    assert_eq!(sched.code, 3, "{sched:?}");
    let why = candidate_reason(&sched.json(), "lab3");
    assert!(
        why.starts_with("enabled: host is in maintenance") && why.contains(reason),
        "{why}"
    );
    let live = run(inv, other, &["live", vm]);
    assert_eq!(live.code, 3, "{live:?}");
    assert_eq!(state("lab3", vm), "absent");
    assert_eq!(state("lab1", vm), "running");
}

#[test]
fn two_ons_at_once_leave_one_mark_and_status_shows_every_host() {
    let Some((lab, guard)) = Lab::exclusive() else {
        return;
    };
    let _off = Off;
    lab_try(&["exec", "lab3", "rm", "-f", FILE]);
    let dir = tempfile::tempdir().unwrap();
    let start = |who: &str| {
        Vm::cmd()
            .inventory(lab.inv())
            .json()
            .state(dir.path().join(who))
            .args(["maintenance", "lab3", "on", "--reason", who])
            .spawn()
    };
    let (a, b) = (start("op-a"), start("op-b"));
    let runs = [Run::wait(a), Run::wait(b)];
    for r in &runs {
        assert_eq!(r.code, 0, "{r:?}");
    }
    let rows: Vec<Value> = runs.iter().map(|r| r.json()["hosts"][0].clone()).collect();
    let set: Vec<&Value> = rows.iter().filter(|r| r["changed"] == true).collect();
    assert_eq!(set.len(), 1, "{rows:#?}");
    let mark = &set[0]["maintenance"];
    assert!(rows.iter().all(|r| &r["maintenance"] == mark), "{rows:#?}");
    let on_host: Value = serde_json::from_str(&lab_sh(&["exec", "lab3", "cat", FILE])).unwrap();
    assert_eq!(&on_host, mark);

    let status = Vm::cmd()
        .inventory(lab.inv())
        .json()
        .state(guard.state())
        .args(["maintenance", "status"])
        .run();
    assert_eq!(status.code, 0, "{status:?}");
    let doc = status.json();
    let hosts = doc["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), lab.hosts().len(), "{doc:#}");
    for h in hosts {
        let expected = if h["host"] == "lab3" {
            mark.clone()
        } else {
            Value::Null
        };
        assert_eq!(h["maintenance"], expected, "{h:#}");
    }
    let usage = Vm::cmd()
        .inventory(lab.inv())
        .args(["maintenance", "lab3"])
        .run();
    assert_eq!(usage.code, 2, "{usage:?}");
    let unknown = Vm::cmd()
        .inventory(lab.inv())
        .args(["maintenance", "nohost", "on"])
        .run();
    assert_eq!(unknown.code, 2, "{unknown:?}");
}
