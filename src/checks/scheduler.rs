//! `scheduler.destination`: whether the scheduler found a host that passes
//! every check, and if not, why each candidate was turned down.

use super::Check;
use crate::scheduler::Candidate;

/// The check once every accepted candidate was tried: `chosen` is the first
/// that passed its checks.
pub(crate) fn destination(vm: &str, candidates: &[Candidate], chosen: Option<&str>) -> Check {
    const ID: &str = "scheduler.destination";
    if let Some(host) = chosen {
        return Check::pass(ID, format!("chose {host}"));
    }
    if candidates.is_empty() {
        return Check::fail(ID, "no other host in the inventory");
    }
    let why: Vec<String> = candidates
        .iter()
        .map(|c| format!("{}: {}", c.host, c.reason))
        .collect();
    Check::fail(ID, format!("no host can take {vm}: {}", why.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Status;

    #[test]
    fn names_each_refusal_or_the_choice() {
        let refused = |host: &str, reason: &str| Candidate {
            host: host.into(),
            accepted: false,
            weight: None,
            reason: reason.into(),
        };
        let c = destination("v", &[refused("lab2", "ram: x")], Some("lab3"));
        assert_eq!((c.status, c.message.as_str()), (Status::Pass, "chose lab3"));
        let c = destination(
            "v",
            &[refused("lab2", "ram: x"), refused("lab3", "tag: y")],
            None,
        );
        assert_eq!(c.status, Status::Fail);
        assert_eq!(c.message, "no host can take v: lab2: ram: x; lab3: tag: y");
        let c = destination("v", &[], None);
        assert_eq!(c.message, "no other host in the inventory");
    }
}
