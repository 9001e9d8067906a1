//! One thing `doctor` checked: what, about which host (and which peer),
//! how it went, and — when it did not go well — what to do about it.

use serde::Serialize;

use crate::checks::Status;

/// One check's result. Every `warn` and `fail` carries a `fix`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable dotted id: `inventory`, `host.ssh`, `host.libvirt`,
    /// `host.disk`, `host.clock`, `fleet.duplicate`, `mesh.peer`,
    /// `mesh.peer_ssh`, `mesh.migration`, `cpu.compare`, `cpu.baseline`.
    pub id: &'static str,
    pub status: Status,
    /// The host it is about (a mesh path's source; for `cpu.compare` the
    /// host whose guests would leave); `None` for fleet-wide findings.
    pub host: Option<String>,
    /// The other host (a mesh path's destination, the host that would take
    /// the guests, the duplicate's other name).
    pub peer: Option<String>,
    /// What was found, one line.
    pub message: String,
    /// What to do; `None` when nothing needs doing.
    pub fix: Option<String>,
}

impl Finding {
    /// A passed check.
    pub fn pass(id: &'static str, host: Option<&str>, message: impl Into<String>) -> Finding {
        Finding {
            id,
            status: Status::Pass,
            host: host.map(str::to_string),
            peer: None,
            message: message.into(),
            fix: None,
        }
    }

    /// A check that could not be made (its message says why).
    pub fn skip(id: &'static str, host: Option<&str>, message: impl Into<String>) -> Finding {
        Finding {
            status: Status::Skip,
            ..Finding::pass(id, host, message)
        }
    }

    /// A problem (`Warn` or `Fail`) and its fix.
    pub fn problem(
        id: &'static str,
        status: Status,
        host: Option<&str>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            status,
            fix: Some(fix.into()),
            ..Finding::pass(id, host, message)
        }
    }

    /// The same finding about the pair `host` → `peer`.
    #[must_use]
    pub fn to(mut self, peer: &str) -> Finding {
        self.peer = Some(peer.to_string());
        self
    }

    /// A failure about a host the fleet does not count on (disabled in the
    /// inventory or in maintenance) is only a warning.
    #[must_use]
    pub fn tolerated(mut self, why: Option<&str>) -> Finding {
        if let (Status::Fail, Some(why)) = (self.status, why) {
            self.status = Status::Warn;
            self.message
                .push_str(&format!(" ({why}, so only a warning)"));
        }
        self
    }

    /// True for `fail`.
    pub fn failed(&self) -> bool {
        self.status == Status::Fail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tolerated_failure_is_a_warning_and_says_why() {
        let f = Finding::problem("host.ssh", Status::Fail, Some("kvm3"), "down", "start it");
        assert!(f.failed());
        let t = f.clone().tolerated(Some("kvm3 is disabled"));
        assert_eq!(t.status, Status::Warn);
        assert!(t.message.ends_with("(kvm3 is disabled, so only a warning)"));
        assert_eq!(f.clone().tolerated(None), f);
        let p = Finding::pass("host.ssh", Some("kvm1"), "ok").tolerated(Some("x"));
        assert_eq!((p.status, p.message.as_str()), (Status::Pass, "ok"));
    }
}
