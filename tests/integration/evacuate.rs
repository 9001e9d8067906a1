//! `vmigrate evacuate` on the lab: lab4 (a host no other test uses) is
//! emptied onto lab1..lab3 — real migrations of guests with different
//! disks, an anti-affinity group, the limits read back from the events,
//! and a plan that is refused before anything moves. The tests of this
//! module run one at a time (they all empty lab4).

use std::sync::Mutex;

use crate::util::{host_row, lab_sh, lab_try, state, vmigrate, Everywhere, Lab, TestVm};

/// lab4's maintenance mark (set by a drain), removed when dropped.
struct MarkGone;

impl Drop for MarkGone {
    fn drop(&mut self) {
        let file = "/var/lib/libvirt/vmigrate/maintenance.json";
        lab_try(&["exec", "lab4", "rm", "-f", file]);
    }
}

/// One test at a time on lab4 (also taken by `json_contract`'s dry run).
pub(crate) static LAB4: Mutex<()> = Mutex::new(());

const VMS: &[&str] = &["ev-web1", "ev-web2", "ev-web3", "ev-local", "ev-dirty"];

/// The host each of `vms` runs on (exactly one, asserted).
fn where_runs(vm: &str) -> String {
    let running: Vec<String> = ["lab1", "lab2", "lab3", "lab4"]
        .into_iter()
        .filter(|h| state(h, vm) == "running")
        .map(String::from)
        .collect();
    assert_eq!(running.len(), 1, "{vm} runs on {running:?}");
    running[0].clone()
}

/// The most migrations running at once, overall and into one host, from
/// the drain's `drain_start` / `drain_end` events (written in order).
fn peaks(events: &str) -> (usize, usize) {
    let mut running: Vec<String> = Vec::new();
    let (mut all, mut one) = (0, 0);
    for line in events.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let dest = v["destination"].as_str().unwrap_or_default().to_string();
        match v["event"].as_str() {
            Some("drain_start") => running.push(dest),
            Some("drain_end") => {
                let i = running.iter().position(|d| *d == dest).unwrap();
                running.remove(i);
            }
            _ => continue,
        }
        all = all.max(running.len());
        for d in &running {
            one = one.max(running.iter().filter(|x| *x == d).count());
        }
    }
    (all, one)
}

/// The dry run plans and predicts with the documented keys, and moves nothing.
fn assert_dry_run_moves_nothing(inv: &str) {
    let r = vmigrate(&[
        "-i",
        inv,
        "-o",
        "json",
        "evacuate",
        "lab4",
        "--dry-run",
        "--window",
        "10m",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let plan = r.json();
    assert_eq!(plan["plan"].as_array().unwrap().len(), 5, "{plan:#}");
    for key in [
        "host",
        "plan",
        "unplaceable",
        "estimated_secs",
        "fits_window",
    ] {
        assert!(plan.get(key).is_some(), "{key} in {plan:#}");
    }
    for row in plan["plan"].as_array().unwrap() {
        for key in [
            "vm",
            "destination",
            "memory_mb",
            "block_migration",
            "verdict",
            "estimated_secs",
        ] {
            assert!(row.get(key).is_some(), "{key} in {row:#}");
        }
        // The plan read every disk: the local one is copied (and its
        // room counted), the network ones are shared.
        let local = row["vm"] == "ev-local";
        assert_eq!(row["block_migration"], local, "{row:#}");
        assert_eq!(row["disk_mb"].as_u64().unwrap() > 0, local, "{row:#}");
    }
    // The last web server has one host left (anti-affinity): no runner-up.
    assert!(
        plan["plan"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["next_candidate"].is_string()),
        "{plan:#}"
    );
    assert!(VMS.iter().all(|v| state("lab4", v) == "running"));
}

/// Every VM migrated: running and defined on exactly one other host,
/// gone from lab4, the report saying where.
fn assert_drained(doc: &serde_json::Value) {
    assert_eq!(doc["left"], serde_json::json!([]), "{doc:#}");
    for v in VMS {
        let host = where_runs(v);
        assert_ne!(host, "lab4", "{v}");
        assert_eq!(state("lab4", v), "absent", "{v} undefined on lab4 too");
        let row = doc["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["vm"] == *v)
            .unwrap();
        assert_eq!(row["outcome"], "migrated", "{row:#}");
        assert_eq!(row["running_on"], host.as_str(), "{row:#}");
        assert!(lab_sh(&["virsh", &host, "dominfo", v]).contains("Persistent:     yes"));
    }
}

/// The drain's metrics file: one duration per VM moved, from lab4,
/// migrated; the count of migrated moves; the end marker (`# EOF`) last.
fn assert_drain_metrics(metrics: &std::path::Path) {
    let text = std::fs::read_to_string(metrics).unwrap();
    assert_eq!(text.lines().last(), Some("# EOF"), "{text}");
    for v in VMS {
        assert!(
            text.lines()
                .any(|l| l.starts_with("vmigrate_migration_duration_seconds{")
                    && l.contains(&format!("vm=\"{v}\""))
                    && l.contains("source=\"lab4\"")
                    && l.contains("outcome=\"migrated\"")),
            "no duration for {v}: {text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("vmigrate_migrations_total{")
                && l.contains("outcome=\"migrated\"")
                && l.ends_with(&format!(" {}", VMS.len()))),
        "{text}"
    );
}

fn a_host_is_emptied_within_its_limits_and_groups_stay_apart() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let _one = LAB4
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let _gone = Everywhere(VMS);
    let _mark = MarkGone;
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.all_hosts_inventory(dir.path(), |t| {
        t + "\n[[groups]]\nname = \"ev-web\"\npolicy = \"anti-affinity\"\nvms = [\"ev-web1\", \"ev-web2\", \"ev-web3\"]\n"
    });
    let inv = inv.to_str().unwrap();
    let mut vms: Vec<TestVm> = ["ev-web1", "ev-web2", "ev-web3"]
        .iter()
        .map(|n| TestVm::create("lab4", n, "net"))
        .collect();
    vms.push(TestVm::filled("lab4", "ev-local", 8));
    let dirty = TestVm::dirtying("lab4", "ev-dirty", 100);

    assert_dry_run_moves_nothing(inv);
    let events = dir.path().join("events.jsonl");
    let metrics = dir.path().join("drain.prom");
    let r = vmigrate(&[
        "-i",
        inv,
        "-o",
        "json",
        "evacuate",
        "lab4",
        "--concurrency",
        "2",
        "--max-incoming",
        "1",
        "--events",
        events.to_str().unwrap(),
        "--metrics-file",
        metrics.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_drained(&r.json());
    assert_drain_metrics(&metrics);
    let mut web: Vec<String> = ["ev-web1", "ev-web2", "ev-web3"]
        .iter()
        .map(|v| where_runs(v))
        .collect();
    web.sort();
    web.dedup();
    assert_eq!(web.len(), 3, "anti-affinity: {web:?}");
    let (all, one) = peaks(&std::fs::read_to_string(&events).unwrap());
    assert!(
        all <= 2 && one <= 1,
        "peaks: {all} at once, {one} into one host"
    );
    assert_eq!(all, 2, "the limit was used");
    dirty.assert_memory_intact(&where_runs("ev-dirty"));

    // The drain left lab4 in maintenance, for every operator to see.
    let hosts = vmigrate(&["-i", inv, "-o", "json", "hosts", "lab4"]);
    let mark = host_row(&hosts.json(), "lab4")["maintenance"].clone();
    assert_eq!(mark["reason"], "evacuate", "{}", hosts.stdout);
    let off = vmigrate(&["-i", inv, "maintenance", "lab4", "off"]);
    assert_eq!(off.code, 0, "{off:?}");

    // After maintenance, --return puts every VM back where it was.
    let r = vmigrate(&["-i", inv, "-o", "json", "evacuate", "lab4", "--return"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    for v in VMS {
        assert_eq!(where_runs(v), "lab4", "{v} back: {}", r.stdout);
    }
    dirty.assert_memory_intact("lab4");
    let again = vmigrate(&["-i", inv, "-o", "json", "evacuate", "lab4", "--return"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.json()["plan"],
        serde_json::json!([]),
        "nothing left to return"
    );
    drop(vms);
}

fn a_vm_that_fits_nowhere_refuses_the_plan_before_anything_moves() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let _one = LAB4
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let _gone = Everywhere(&["ev-big", "ev-small"]);
    let _mark = MarkGone;
    let _big = TestVm::create_with("lab4", "ev-big", &["--disk", "net", "--memory", "256"]);
    let _small = TestVm::create("lab4", "ev-small", "net");
    // Every other host offers next to no memory (ram_allocation_ratio
    // 0.0001): neither VM has a place.
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.all_hosts_inventory(dir.path(), |t| {
        let mut out = String::new();
        for block in t.split("\n[[hosts]]\n") {
            if out.is_empty() {
                out.push_str(block);
                continue;
            }
            out.push_str("\n[[hosts]]\n");
            out.push_str(block);
            if !block.contains("name = \"lab4\"") {
                out.push_str("\nreserved_host_memory_mb = 0\nram_allocation_ratio = 0.0001\n");
            }
        }
        out
    });
    let inv = inv.to_str().unwrap();
    let r = vmigrate(&["-i", inv, "-o", "json", "evacuate", "lab4"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    let unplaceable = doc["unplaceable"].as_array().unwrap();
    assert!(
        unplaceable
            .iter()
            .any(|u| u["vm"] == "ev-big"
                && u["reason"].as_str().unwrap().contains("ram: needs 256 MiB")),
        "{doc:#}"
    );
    assert_eq!(state("lab4", "ev-big"), "running");
    assert_eq!(
        state("lab4", "ev-small"),
        "running",
        "nothing moved: {doc:#}"
    );
    let hosts = vmigrate(&["-i", inv, "-o", "json", "hosts", "lab4"]);
    let mark = host_row(&hosts.json(), "lab4")["maintenance"].clone();
    assert!(mark.is_null(), "a refused plan marks nothing: {mark}");
}

/// `vm` runs on exactly one host and is defined there only.
fn assert_only_where_it_runs(vm: &str, doc: &serde_json::Value) {
    let host = where_runs(vm);
    let defined: Vec<&str> = ["lab1", "lab2", "lab3", "lab4"]
        .into_iter()
        .filter(|h| state(h, vm) != "absent")
        .collect();
    assert_eq!(
        defined,
        [host.as_str()],
        "{vm} defined where it runs only: {doc:#}"
    );
}

/// The destination of `vm`'s first `drain_start` in the events file, once
/// it is there.
fn started_to(events: &std::path::Path, vm: &str) -> Option<String> {
    let text = std::fs::read_to_string(events).ok()?;
    text.lines().find_map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        (v["event"] == "drain_start" && v["vm"] == vm)
            .then(|| v["destination"].as_str().map(String::from))?
    })
}

#[test]
fn a_destination_lost_mid_drain_costs_one_migration_a_retry_not_the_drain() {
    let Some((lab, _guard)) = Lab::exclusive() else {
        return;
    };
    let _one = LAB4
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let names: &[&str] = &["ev-k-slow", "ev-k-a", "ev-k-b"];
    let _gone = Everywhere(&["ev-k-slow", "ev-k-a", "ev-k-b"]);
    let _mark = MarkGone;
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.all_hosts_inventory(dir.path(), |t| t);
    let inv = inv.to_str().unwrap();
    let _slow = TestVm::filled("lab4", "ev-k-slow", 16);
    let _a = TestVm::create("lab4", "ev-k-a", "net");
    let _b = TestVm::create("lab4", "ev-k-b", "net");
    let events = dir.path().join("events.jsonl");
    let child = crate::util::Vm::cmd()
        .inventory(inv)
        .json()
        .args([
            "evacuate",
            "lab4",
            "--concurrency",
            "3",
            "--bandwidth",
            "2",
            "--order",
            "largest",
        ])
        .args(["--events", events.to_str().unwrap()])
        .spawn();
    crate::util::wait_for(120, "ev-k-slow's migration started", || {
        started_to(&events, "ev-k-slow").is_some()
    });
    let dest = started_to(&events, "ev-k-slow").unwrap();
    crate::util::wait_for(120, "the incoming copy exists", || {
        state(&dest, "ev-k-slow") != "absent"
    });
    let restart = crate::util::Restart(match dest.as_str() {
        "lab1" => "lab1",
        "lab2" => "lab2",
        _ => "lab3",
    });
    lab_sh(&["libvirtd", "stop", &dest]);
    std::thread::sleep(std::time::Duration::from_secs(3));
    drop(restart);
    let r = crate::util::Run::wait(child);
    assert!(r.code == 0 || r.code == 6, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    for v in names {
        assert_only_where_it_runs(v, &doc);
    }
    // The others were not held up: they migrated.
    for v in ["ev-k-a", "ev-k-b"] {
        let row = doc["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["vm"] == v)
            .unwrap();
        assert_eq!(row["outcome"], "migrated", "{row:#}");
    }
    // The lost one: retried elsewhere (exit 0), or listed as left with why (6).
    let left = doc["left"].as_array().unwrap();
    if r.code == 6 {
        assert!(
            left.iter()
                .any(|l| l["vm"] == "ev-k-slow" && !l["reason"].as_str().unwrap().is_empty()),
            "{doc:#}"
        );
        assert_eq!(where_runs("ev-k-slow"), "lab4");
    } else {
        assert!(left.is_empty(), "{doc:#}");
        assert_ne!(where_runs("ev-k-slow"), "lab4");
    }
    let text = std::fs::read_to_string(&events).unwrap();
    assert!(
        text.contains("\"attempt\":2") || r.code == 6,
        "a retry: {text}"
    );
}

fn ctrl_c_starts_nothing_more_and_rolls_the_running_ones_back() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let _one = LAB4
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let names: &[&str] = &["ev-i-1", "ev-i-2", "ev-i-3"];
    let _gone = Everywhere(&["ev-i-1", "ev-i-2", "ev-i-3"]);
    let _mark = MarkGone;
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.all_hosts_inventory(dir.path(), |t| t);
    let inv = inv.to_str().unwrap();
    let _vms: Vec<TestVm> = names
        .iter()
        .map(|n| TestVm::filled("lab4", n, 16))
        .collect();
    let events = dir.path().join("events.jsonl");
    let child = crate::util::Vm::cmd()
        .inventory(inv)
        .json()
        .args(["evacuate", "lab4", "--concurrency", "1", "--bandwidth", "2"])
        .args(["--events", events.to_str().unwrap()])
        .spawn();
    crate::util::wait_for(120, "the first migration is under way", || {
        names
            .iter()
            .any(|n| started_to(&events, n).is_some_and(|d| state(&d, n) != "absent"))
    });
    crate::util::sigint(&child);
    let r = crate::util::Run::wait(child);
    assert_eq!(r.code, 130, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    for v in names {
        assert_eq!(
            where_runs(v),
            "lab4",
            "rolled back or never started: {doc:#}"
        );
        assert_only_where_it_runs(v, &doc);
    }
    let left = doc["left"].as_array().unwrap();
    assert_eq!(left.len(), 3, "{doc:#}");
    let started = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"drain_start\""))
        .count();
    assert_eq!(started, 1, "nothing more started after Ctrl-C");
}

/// Where `vm` is defined (running or not).
fn defined_on(vm: &str) -> Vec<&'static str> {
    ["lab1", "lab2", "lab3", "lab4"]
        .into_iter()
        .filter(|h| state(h, vm) != "absent")
        .collect()
}

const COLD: &[&str] = &["ev-cold-shared", "ev-cold-local", "ev-warm"];

fn stopped_vms_move_as_definitions_where_their_disks_are_shared_and_come_back() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let _one = LAB4
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let _gone = Everywhere(COLD);
    let _mark = MarkGone;
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.all_hosts_inventory(dir.path(), |t| t);
    let inv = inv.to_str().unwrap();
    let _vms: Vec<TestVm> = [
        ("ev-cold-shared", "shared"),
        ("ev-cold-local", "local"),
        ("ev-warm", "net"),
    ]
    .iter()
    .map(|(n, disk)| TestVm::create("lab4", n, disk))
    .collect();
    for cold in ["ev-cold-shared", "ev-cold-local"] {
        lab_sh(&["virsh", "lab4", "destroy", cold]);
    }

    // Without --include-stopped they are listed, not moved.
    let r = vmigrate(&["-i", inv, "-o", "json", "evacuate", "lab4", "--dry-run"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let mut listed: Vec<String> = serde_json::from_value(r.json()["stopped"].clone()).unwrap();
    listed.sort();
    assert_eq!(listed, ["ev-cold-local", "ev-cold-shared"]);

    // With it, the one on shared storage is planned; the local one cannot
    // go anywhere (a definition's move copies no disk): refused, exit 3.
    let args = [
        "-i",
        inv,
        "-o",
        "json",
        "evacuate",
        "lab4",
        "--include-stopped",
    ];
    let r = vmigrate(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let doc = r.json();
    let row = doc["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vm"] == "ev-cold-shared")
        .cloned()
        .unwrap_or_else(|| panic!("{doc:#}"));
    assert_eq!(row["offline"], true, "{row:#}");
    assert_eq!(doc["unplaceable"][0]["vm"], "ev-cold-local", "{doc:#}");
    let why = doc["unplaceable"][0]["reason"].as_str().unwrap();
    assert!(why.contains("copies no disk"), "{why}");
    assert_eq!(defined_on("ev-cold-shared"), ["lab4"]);

    let r = vmigrate(&[&args[..], &["--continue-on-error"]].concat());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let put = defined_on("ev-cold-shared");
    assert_eq!(put.len(), 1, "{put:?}");
    assert_ne!(put[0], "lab4");
    assert_eq!(state(put[0], "ev-cold-shared"), "shut off");
    assert!(lab_sh(&["virsh", put[0], "dominfo", "ev-cold-shared"]).contains("Persistent:     yes"));
    assert_eq!(defined_on("ev-cold-local"), ["lab4"], "stays, as planned");
    assert_ne!(where_runs("ev-warm"), "lab4");

    let off = vmigrate(&["-i", inv, "maintenance", "lab4", "off"]);
    assert_eq!(off.code, 0, "{off:?}");
    let r = vmigrate(&["-i", inv, "-o", "json", "evacuate", "lab4", "--return"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(defined_on("ev-cold-shared"), ["lab4"]);
    assert_eq!(state("lab4", "ev-cold-shared"), "shut off");
    assert_eq!(where_runs("ev-warm"), "lab4");
    assert_eq!(defined_on("ev-warm"), ["lab4"]);
}

/// The shared-lab scenarios above, one after another on lab4 (`LAB4`, and
/// `util::scenarios` for why one test). The destination-lost one takes
/// the lab exclusively, so it stays a test of its own.
#[test]
fn drains_of_lab4_one_after_another() {
    crate::util::scenarios(&[
        (
            "a_host_is_emptied_within_its_limits_and_groups_stay_apart",
            a_host_is_emptied_within_its_limits_and_groups_stay_apart,
        ),
        (
            "a_vm_that_fits_nowhere_refuses_the_plan_before_anything_moves",
            a_vm_that_fits_nowhere_refuses_the_plan_before_anything_moves,
        ),
        (
            "ctrl_c_starts_nothing_more_and_rolls_the_running_ones_back",
            ctrl_c_starts_nothing_more_and_rolls_the_running_ones_back,
        ),
        (
            "stopped_vms_move_as_definitions_where_their_disks_are_shared_and_come_back",
            stopped_vms_move_as_definitions_where_their_disks_are_shared_and_come_back,
        ),
    ]);
}
