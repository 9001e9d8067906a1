//! Watching the migration job: every 0.5 s the job statistics from a second
//! libvirt connection, drawn as a progress bar on stderr (terminal only)
//! and written as JSON lines with `--events`.

use std::io::Write;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::hypervisor::JobStats;

/// One observation of the job.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tick {
    pub event: &'static str,
    pub elapsed_ms: u64,
    pub data_total: u64,
    pub data_processed: u64,
    pub data_remaining: u64,
    /// Block migration: the disks' share of `data_total`/`data_processed`
    /// (the source's mirror jobs; 0 without block migration).
    pub disk_total: u64,
    pub disk_processed: u64,
    /// Bytes per second, as libvirt measures it.
    pub rate_bps: u64,
    pub mem_iteration: u64,
    /// Guest memory dirtied per second, bytes.
    pub dirty_bps: u64,
    pub time_remaining_ms: u64,
    /// Auto-converge's vCPU throttle, %.
    pub throttle_pct: u64,
    /// The policy rung in force (see `policy::ladder`).
    pub rung: String,
}

impl Tick {
    /// From libvirt's job statistics.
    pub fn from_stats(s: &JobStats) -> Tick {
        let page = s.mem_page_size.unwrap_or(4096);
        Tick {
            event: "progress",
            elapsed_ms: s.time_elapsed.unwrap_or(0),
            data_total: s.data_total.unwrap_or(0),
            data_processed: s.data_processed.unwrap_or(0),
            data_remaining: s.data_remaining.unwrap_or(0),
            disk_total: s.disk_total.unwrap_or(0),
            disk_processed: s.disk_processed.unwrap_or(0),
            rate_bps: s.mem_bps.unwrap_or(0) + s.disk_bps.unwrap_or(0),
            mem_iteration: s.mem_iteration.unwrap_or(0),
            dirty_bps: s.mem_dirty_rate.unwrap_or(0) * page,
            time_remaining_ms: s.time_remaining.unwrap_or(0),
            throttle_pct: s.auto_converge_throttle.unwrap_or(0),
            rung: String::new(),
        }
    }
}

/// The bytes of disk a block migration has copied so far, from the
/// source's live statistics; `None` when no disk is being copied. The larger
/// of total and processed: once the migration succeeds, all of it was sent.
pub fn disk_bytes(s: &JobStats) -> Option<u64> {
    let b = s.disk_total.unwrap_or(0).max(s.disk_processed.unwrap_or(0));
    (b > 0).then_some(b)
}

/// Where progress goes.
pub struct Display {
    bar: ProgressBar,
    events: Option<Box<dyn Write + Send>>,
    /// The bar style is set once the job's size is known; before that a
    /// zero-length bar would be drawn full.
    sized: bool,
    /// Progress is drawn (stderr is a terminal and not `-q`).
    draw: bool,
    /// `-q`: no notes on stderr either (the report says what happened).
    quiet: bool,
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {msg}")
        .expect("valid template")
        .progress_chars("=> ")
}

impl Display {
    /// A bar when `draw` (stderr is a terminal), events to `events` if
    /// given; `quiet` (`-q`) silences the notes too.
    pub fn new(
        draw: bool,
        quiet: bool,
        events: Option<Box<dyn Write + Send>>,
        what: &str,
    ) -> Display {
        let bar = if draw {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{prefix} {spinner} {msg}").expect("valid template"),
            );
            b.set_prefix(what.to_string());
            b.set_message("starting the migration");
            b.enable_steady_tick(Duration::from_millis(200));
            b
        } else {
            ProgressBar::hidden()
        };
        Display {
            bar,
            events,
            sized: false,
            draw,
            quiet,
        }
    }

    /// Shows one tick, filling in rate and time left where libvirt leaves
    /// them at zero (the disk-copy phase): the job's average so far, since
    /// disk progress arrives in bursts that would make a per-tick rate jump.
    pub fn tick(&mut self, t: &Tick) {
        let mut t = t.clone();
        if t.rate_bps == 0 && t.elapsed_ms > 0 {
            t.rate_bps = t.data_processed * 1000 / t.elapsed_ms;
        }
        if t.time_remaining_ms == 0 && t.rate_bps > 0 {
            t.time_remaining_ms = t.data_remaining * 1000 / t.rate_bps;
        }
        if t.data_total > 0 {
            if !self.sized {
                self.bar.set_style(bar_style());
                self.sized = true;
            }
            self.bar.set_length(t.data_total);
            self.bar.set_position(t.data_processed);
        }
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        if self.sized {
            let rung = if t.rung.is_empty() {
                String::new()
            } else {
                format!("[{}] ", t.rung)
            };
            self.bar.set_message(format!(
                "{rung}{:.1} MiB/s, {:.1} MiB left, ETA {}s, iteration {}, dirty {:.1} MiB/s",
                mib(t.rate_bps),
                mib(t.data_remaining),
                t.time_remaining_ms.div_ceil(1000),
                t.mem_iteration,
                mib(t.dirty_bps)
            ));
        }
        self.event(&t);
    }
    /// Writes any serialisable event as one JSON line.
    pub fn event<T: Serialize>(&mut self, e: &T) {
        if let Some(w) = self.events.as_mut() {
            if let Ok(line) = serde_json::to_string(e) {
                let _ = writeln!(w, "{line}");
                let _ = w.flush();
            }
        }
    }

    /// A line on stderr that does not tear the bar (none with `-q`).
    pub fn note(&self, line: &str) {
        if !self.quiet {
            self.bar.suspend(|| crate::report::printer::line(line));
        }
    }

    /// A line on stderr only when progress is drawn (a terminal, not `-q`).
    pub fn progress_note(&self, line: &str) {
        if self.draw {
            self.note(line);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
