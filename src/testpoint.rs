//! Places where the fault matrix (`tests/integration/matrix`) holds a run
//! so that it can inject its fault in a known phase: a moment that lasts
//! milliseconds in a real run (the checks, the disks just created, the
//! migration completed but not yet verified) lasts until the test lets go.
//!
//! Inert unless `VMIGRATE_TEST_HOLD` names the point (comma-separated
//! names) and `VMIGRATE_TEST_HOLD_DIR` names a directory: there, on
//! reaching the point, the run creates `<point>.held` (holding its pid)
//! and waits until the file is gone, at most ten minutes. Holding only
//! ever delays a run; it changes nothing on a host.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A point a run can be held at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Point {
    /// The VM was found on its source and connections are open; the
    /// checks are about to judge.
    Checks,
    /// Block migration: the destination's disks were just pre-created.
    Disks,
    /// The checks passed and the claim is held; the migration is about
    /// to start.
    Migrate,
    /// The migrate call returned success; nothing verified yet.
    Completed,
}

impl Point {
    fn name(self) -> &'static str {
        match self {
            Point::Checks => "checks",
            Point::Disks => "disks",
            Point::Migrate => "migrate",
            Point::Completed => "completed",
        }
    }
}

/// Waits at `point` if a test asked for it; returns at once otherwise.
pub(crate) async fn hold(point: Point) {
    let Some(marker) = marker(point) else {
        return;
    };
    if std::fs::write(&marker, std::process::id().to_string()).is_err() {
        return;
    }
    let until = Instant::now() + Duration::from_secs(600);
    while marker.exists() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The file that marks `point` held, when a test asked to hold there.
fn marker(point: Point) -> Option<PathBuf> {
    let points = std::env::var("VMIGRATE_TEST_HOLD").ok()?;
    let dir = std::env::var_os("VMIGRATE_TEST_HOLD_DIR")?;
    points
        .split(',')
        .any(|p| p.trim() == point.name())
        .then(|| PathBuf::from(dir).join(format!("{}.held", point.name())))
}
