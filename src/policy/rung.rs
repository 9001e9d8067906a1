//! The ladder's vocabulary: which rung a step reached and what triggered
//! it. Serialised in `snake_case` — the `rung`/`trigger` values of
//! `policy_steps` and of `policy` events, which runbooks read.

use std::fmt;

use serde::Serialize;

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rung {
    /// The policy in force when the job started.
    Start,
    /// A new max downtime.
    Downtime,
    /// Stalled with no rung left to climb (said once).
    Stalled,
    /// QEMU changed auto-converge's vCPU throttle.
    AutoConverge,
    /// XBZRLE compression was judged not to pay (its cache misses).
    Xbzrle,
    /// The migration switched to post-copy.
    Postcopy,
    /// The guest was paused so that the last pass completes.
    Pause,
    /// The migration is being aborted.
    Abort,
    /// An action libvirt refused (the detail says which).
    Error,
}

/// What caused a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Start,
    /// The time lane (Nova's step every delay × GiB).
    Time,
    /// The stall lane.
    Stall,
    /// The completion timeout.
    Timeout,
    /// QEMU (auto-converge).
    Qemu,
    /// Another process: `vmigrate force-complete` or an operator.
    External,
    /// A failed action.
    Error,
}

impl Rung {
    /// The `snake_case` name (as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            Rung::Start => "start",
            Rung::Downtime => "downtime",
            Rung::Stalled => "stalled",
            Rung::AutoConverge => "auto_converge",
            Rung::Xbzrle => "xbzrle",
            Rung::Postcopy => "postcopy",
            Rung::Pause => "pause",
            Rung::Abort => "abort",
            Rung::Error => "error",
        }
    }
}

impl Trigger {
    /// The `snake_case` name (as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Start => "start",
            Trigger::Time => "time",
            Trigger::Stall => "stall",
            Trigger::Timeout => "timeout",
            Trigger::Qemu => "qemu",
            Trigger::External => "external",
            Trigger::Error => "error",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Rung {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_json_values() {
        for r in [
            Rung::Start,
            Rung::Downtime,
            Rung::Stalled,
            Rung::AutoConverge,
            Rung::Xbzrle,
            Rung::Postcopy,
            Rung::Pause,
            Rung::Abort,
            Rung::Error,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.name());
        }
        for t in [
            Trigger::Start,
            Trigger::Time,
            Trigger::Stall,
            Trigger::Timeout,
            Trigger::Qemu,
            Trigger::External,
            Trigger::Error,
        ] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.name());
        }
    }
}
