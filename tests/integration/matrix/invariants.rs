//! What every cell asserts once its fault is repaired, from what the lab
//! hosts themselves report (virsh and files inside each host): the VM runs
//! on exactly one host and is defined (persistent) there only; nothing of
//! the run is left behind — claim files, shared-storage test files, disks
//! on a host the VM does not run on; the dirtying guest's memory pattern
//! is whole.

use std::time::{Duration, Instant};

use super::guest::{Workspace, IMAGES};
use crate::util::{lab_out, reason};

/// The one host the VM runs on and is defined on, or what is wrong.
pub fn home(ws: &Workspace) -> Result<String, String> {
    let hosts = [&ws.pair.src, &ws.pair.dst];
    let seen: Vec<(&String, String, bool)> = hosts
        .iter()
        .map(|h| (*h, reason(h, &ws.name), persistent(h, &ws.name)))
        .collect();
    let running: Vec<&String> = seen
        .iter()
        .filter(|(_, r, _)| r.starts_with("running"))
        .map(|(h, _, _)| *h)
        .collect();
    let defined: Vec<&String> = seen
        .iter()
        .filter(|(_, _, p)| *p)
        .map(|(h, _, _)| *h)
        .collect();
    let present = seen.iter().filter(|(_, r, _)| r != "absent").count();
    if running.len() == 1 && defined == running && present == 1 {
        Ok(running[0].clone())
    } else {
        Err(format!(
            "not on exactly one host: {:?}",
            seen.iter()
                .map(|(h, r, p)| format!("{h}: {r}{}", if *p { ", persistent" } else { "" }))
                .collect::<Vec<_>>()
        ))
    }
}

fn persistent(host: &str, vm: &str) -> bool {
    lab_out(&["virsh", host, "dominfo", vm]).is_some_and(|o| {
        o.lines()
            .any(|l| l.starts_with("Persistent:") && l.ends_with("yes"))
    })
}

/// Files the run left behind on the cell's hosts.
pub fn leftovers(ws: &Workspace, home: Option<&str>) -> Vec<String> {
    let mut found = Vec::new();
    for host in [&ws.pair.src, &ws.pair.dst] {
        // Claim files name the VM they claim for.
        let claims = format!("grep -ls -- '\"{}\"' /run/vmigrate/claims/*.json", ws.name);
        if let Some(out) = lab_out(&["exec", host, "sh", "-c", &claims]) {
            found.extend(out.lines().map(|l| format!("claim {host}:{l}")));
        }
        let tests = format!("ls -A {IMAGES} | grep '^.vmigrate-shared-check-'");
        if let Some(out) = lab_out(&["exec", host, "sh", "-c", &tests]) {
            found.extend(
                out.lines()
                    .map(|l| format!("test file {host}:{IMAGES}/{l}")),
            );
        }
        // The data disk belongs where the VM runs, nowhere else.
        let disk_is_home = ws.block && home == Some(host.as_str());
        if !disk_is_home && lab_out(&["exec", host, "test", "-e", &ws.disk()]).is_some() {
            found.push(format!("disk {host}:{}", ws.disk()));
        }
    }
    found
}

/// The dirtying guest's memory on `host`: every page's counter in step.
pub fn pattern(ws: &Workspace, host: &str) -> Result<String, String> {
    let out = lab_out(&["vm", "pattern", host, &ws.name]).unwrap_or_default();
    if out.starts_with("ok:") {
        Ok(out.trim().to_string())
    } else {
        Err(format!("memory pattern on {host}: {}", out.trim()))
    }
}

/// Waits (bounded) until neither host runs a migration job for the VM:
/// `recover` never acts while one runs, and the invariants would catch a
/// moment, not an end. A post-copy that failed stays as it is. An incoming
/// copy still paused on the destination is a job too, which `domjobinfo`
/// there does not always show: after a cut link the destination's libvirtd
/// removes it only when its connection from the source fails, a few
/// seconds after the link is back.
pub fn settle(ws: &Workspace, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    loop {
        let busy = [&ws.pair.src, &ws.pair.dst].iter().any(|h| {
            let job = lab_out(&["virsh", h, "domjobinfo", &ws.name]).unwrap_or_default();
            let r = reason(h, &ws.name);
            let active = job
                .lines()
                .any(|l| l.starts_with("Job type:") && !l.contains("None"));
            let incoming = *h == &ws.pair.dst && r == "paused (migrating)";
            (active || incoming) && !r.contains("post-copy failed")
        });
        if !busy {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
