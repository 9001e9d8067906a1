//! `vmigrate recover` after a cell that left the VM to it, as an operator
//! runs it: once; if it exits 5 with a post-copy resume command, that
//! command as printed (the operator step README describes), then once
//! more. It must end consistent (exit 0).

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cell::Outcome;
use super::guest::Workspace;
use super::invariants::settle;
use super::phase::unthrottle;
use crate::util::{lab_try, reason};

/// Runs `recover` (and the operator's resume) until it says consistent.
pub fn recover(ws: &Workspace, out: &mut Outcome) -> Result<(), String> {
    for attempt in 0..2 {
        let r = ws.vmigrate().args(["recover", &ws.name]).run();
        let doc = r.doc();
        out.recover.push(summary(r.code, &doc, &r.stderr));
        if r.code == 0 && doc["consistent"] != false {
            return Ok(());
        }
        let resume = doc["postcopy"]["resume_command"].as_str();
        match resume {
            Some(cmd) if r.code == 5 && attempt == 0 => {
                let said = resume_post_copy(ws, cmd);
                out.recover.push(said);
                settle(ws, Duration::from_secs(90));
            }
            _ => {
                let said = summary(r.code, &doc, &r.stderr);
                return Err(format!("recover did not end consistent: {said}"));
            }
        }
    }
    Err("recover still not consistent after the operator's resume".into())
}

/// The operator's steps for a post-copy `recover` left alone: give it a
/// moment to complete by itself (the migration's TCP connection survives a
/// short cut); a destination still running its half as if nothing
/// happened is paused (`domjobabort --postcopy`, as QEMU pauses both halves
/// when the stream breaks) so that the printed resume command can join
/// them; then that command, as printed.
fn resume_post_copy(ws: &Workspace, cmd: &str) -> String {
    let (src, dst, name) = (&ws.pair.src, &ws.pair.dst, &ws.name);
    unthrottle(src, name);
    let failed = || reason(src, name).contains("post-copy failed");
    let end = Instant::now() + Duration::from_secs(10);
    while failed() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(250));
    }
    if !failed() {
        return "post-copy completed by itself once the fault was repaired".into();
    }
    let mut steps = Vec::new();
    if reason(dst, name) == "running (post-copy)" {
        let paused = lab_try(&["virsh", dst, "domjobabort", name, "--postcopy"]);
        steps.push(format!("domjobabort --postcopy on {dst}: {}", ok(paused)));
    }
    let done = Command::new("sh").args(["-c", cmd]).output();
    let resumed = done.as_ref().is_ok_and(|o| o.status.success());
    steps.push(format!("the printed resume command: {}", ok(resumed)));
    format!("operator: {}", steps.join(", "))
}

fn ok(done: bool) -> &'static str {
    if done {
        "ok"
    } else {
        "failed"
    }
}

/// One line of what `recover` said.
fn summary(code: i32, doc: &Value, stderr: &str) -> String {
    let what = doc["message"]
        .as_str()
        .or_else(|| doc["running_on"].as_str().map(|_| ""))
        .unwrap_or_else(|| stderr.trim());
    let actions = doc["actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    format!(
        "recover exit {code}, running on {}{}{}",
        doc["running_on"].as_str().unwrap_or("-"),
        if what.is_empty() {
            String::new()
        } else {
            format!(": {what}")
        },
        if actions.is_empty() {
            String::new()
        } else {
            format!(" (did: {actions})")
        }
    )
}
