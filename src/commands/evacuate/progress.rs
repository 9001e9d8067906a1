//! A drain's progress: one line per running migration on a terminal
//! (indicatif's `MultiProgress`), drawn from the event lines each migration
//! writes (the same `progress` events `live --events` writes), and those
//! lines, tagged with their VM, to `--events` when given.

use std::io::Write;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The drain's progress lines and its shared events sink.
pub(super) struct Bars {
    multi: MultiProgress,
    draw: bool,
    events: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
}

impl Bars {
    pub(super) fn new(draw: bool, events: Option<Box<dyn Write + Send>>) -> Bars {
        let multi = MultiProgress::with_draw_target(if draw {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Bars {
            multi,
            draw,
            events: events.map(|e| Arc::new(Mutex::new(e))),
        }
    }

    /// A line for `vm` going to `dest`, and the sink its migration writes
    /// its events to.
    pub(super) fn start(&self, vm: &str, dest: &str) -> (ProgressBar, Box<dyn Write + Send>) {
        let bar = if self.draw {
            let b = self.multi.add(ProgressBar::new(0));
            b.set_style(
                ProgressStyle::with_template("{prefix:30} [{bar:24}] {bytes}/{total_bytes} {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            b.set_prefix(crate::report::printer::shown(&format!("{vm} → {dest}")));
            b.set_message("checking");
            b
        } else {
            ProgressBar::hidden()
        };
        let sink = Sink {
            vm: vm.to_string(),
            bar: bar.clone(),
            line: Vec::new(),
            events: self.events.clone(),
        };
        (bar, Box::new(sink))
    }

    /// A line above the bars.
    pub(super) fn note(&self, line: &str) {
        if self.draw {
            let _ = self.multi.println(crate::report::printer::shown(line));
        }
    }

    /// An event of the drain's own, stamped with the time (ms since the
    /// epoch) so that a runbook can check the limits from the file.
    pub(super) fn event(&self, mut e: serde_json::Value) {
        if let (Some(w), Some(o)) = (&self.events, e.as_object_mut()) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            o.insert(
                "ts_ms".into(),
                serde_json::Value::from(u64::try_from(now).unwrap_or(u64::MAX)),
            );
            write_line(w, &e);
        }
    }
}

/// Where one migration's event lines go.
struct Sink {
    vm: String,
    bar: ProgressBar,
    /// A line not yet ended.
    line: Vec<u8>,
    events: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        while let Some(end) = self.line.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.line.drain(..=end).collect();
            if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&line) {
                self.show(&v);
                if let (Some(w), Some(o)) = (&self.events, v.as_object_mut()) {
                    o.insert("vm".into(), self.vm.clone().into());
                    write_line(w, &v);
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    /// Draws a `progress` event on the VM's line.
    fn show(&self, v: &serde_json::Value) {
        if v["event"] != "progress" {
            return;
        }
        let n = |k: &str| v[k].as_u64().unwrap_or(0);
        if n("data_total") > 0 {
            self.bar.set_length(n("data_total"));
            self.bar.set_position(n("data_processed"));
        }
        #[expect(clippy::cast_precision_loss, reason = "MiB/s on a progress line")]
        let rate = n("rate_bps") as f64 / 1_048_576.0;
        let rung = v["rung"].as_str().unwrap_or_default();
        self.bar.set_message(format!(
            "{rate:.1} MiB/s, iteration {}{}",
            n("mem_iteration"),
            if rung.is_empty() {
                String::new()
            } else {
                format!(" [{rung}]")
            }
        ));
    }
}

fn write_line(w: &Arc<Mutex<Box<dyn Write + Send>>>, v: &serde_json::Value) {
    if let (Ok(mut w), Ok(line)) = (w.lock(), serde_json::to_string(v)) {
        let _ = writeln!(w, "{line}");
        let _ = w.flush();
    }
}
