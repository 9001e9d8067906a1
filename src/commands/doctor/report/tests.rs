//! The report's assembly on the lab's captured facts.

use super::*;
use crate::commands::doctor::clock::Skew;
use crate::commands::doctor::cpu_matrix::Cell;
use crate::facts::testdata::{lab_facts, lab_host};
use crate::hypervisor::CpuComparison;

const NAMES: [&str; 3] = ["lab1", "lab2", "lab3"];

fn healthy() -> (Vec<Host>, Gathered) {
    let hosts: Vec<Host> = NAMES.iter().map(|n| lab_host(n)).collect();
    let mut cells = Vec::new();
    let mut mesh = Vec::new();
    for a in NAMES {
        for b in NAMES.iter().filter(|b| **b != a) {
            cells.push(Cell {
                from: a.into(),
                to: (*b).into(),
                result: Ok(CpuComparison::Runs("identical")),
            });
            mesh.push(Finding::pass("mesh.peer", Some(a), "open").to(b));
        }
    }
    let g = Gathered {
        facts: NAMES.iter().map(|n| lab_facts(n)).collect(),
        skew: vec![
            Some(Ok(Skew {
                offset_ms: 0.4,
                rtt_ms: 1.0
            }));
            3
        ],
        mesh,
        host_model: vec![Some(Ok("<cpu><model>kvm64</model></cpu>".into())); 3],
        cpu_cells: cells,
        baseline: None,
    };
    (hosts, g)
}

#[test]
fn a_healthy_lab_is_all_well() {
    let (hosts, g) = healthy();
    let d = assemble("inv.toml", &hosts, &[true; 3], g);
    assert!(d.ok, "{:#?}", d.checks);
    assert_eq!((d.failures, d.warnings), (0, 0));
    assert_eq!(d.exit_code(), ExitCode::Ok);
    assert_eq!(d.hosts.len(), 3);
    assert_eq!(d.hosts[0].cpu_model.as_deref(), Some("kvm64"));
    let ids: Vec<&str> = d.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids[0], "inventory");
    assert_eq!(ids.last(), Some(&"cpu.baseline"));
    let table = crate::report::doctor_table::render(
        &d,
        crate::report::table::Look {
            color: false,
            ascii: false,
            width: None,
        },
    );
    assert!(table.starts_with("doctor: all well (3 hosts)"), "{table}");
    assert!(table.contains("P2P FROM \\ TO"), "{table}");
}

#[test]
fn one_blocked_path_fails_the_run_and_a_disabled_destination_only_warns() {
    let (hosts, mut g) = healthy();
    let blocked = Finding::problem(
        "mesh.migration",
        Status::Fail,
        Some("lab1"),
        "blocked",
        "open it",
    )
    .to("lab2");
    g.mesh.push(blocked.clone());
    let d = assemble("inv.toml", &hosts, &[true; 3], g);
    assert!(!d.ok);
    assert_eq!(d.exit_code(), ExitCode::NotMigratable);
    let table = crate::report::doctor_table::render(
        &d,
        crate::report::table::Look {
            color: false,
            ascii: false,
            width: None,
        },
    );
    assert!(
        table.starts_with("doctor: 1 failure(s), 0 warning(s)"),
        "{table}"
    );
    assert!(
        table.contains("FAIL mesh.migration (lab1 → lab2): blocked\n     fix: open it"),
        "{table}"
    );

    let (hosts, mut g) = healthy();
    g.facts[1].disabled = true;
    g.mesh.push(blocked);
    let d = assemble("inv.toml", &hosts, &[true; 3], g);
    assert!(d.ok, "{:#?}", d.checks);
    assert_eq!(d.warnings, 1);
}

#[test]
fn named_hosts_limit_the_host_rows_and_duplicates_are_failures() {
    let (hosts, mut g) = healthy();
    g.facts[2].host_uuid = g.facts[0].host_uuid.clone();
    let d = assemble("inv.toml", &hosts, &[false, true, false], g);
    assert_eq!(d.hosts.len(), 1);
    // lab1 = lab3 is not about lab2: not reported when only lab2 is asked about.
    assert!(d.ok, "{:#?}", d.checks);
    let (hosts, mut g) = healthy();
    g.facts[2].host_uuid = g.facts[0].host_uuid.clone();
    let d = assemble("inv.toml", &hosts, &[true; 3], g);
    let dup: Vec<&Finding> = d
        .checks
        .iter()
        .filter(|c| c.id == "fleet.duplicate")
        .collect();
    assert!(dup.len() == 1 && dup[0].failed(), "{dup:#?}");
}
