//! One maintenance mark, as written to the host (one JSON line) and read
//! back by every operator's vmigrate.

use serde::{Deserialize, Serialize};

/// The longest `--reason` kept (the mark is read by every run's facts).
pub const REASON_MAX: usize = 200;

/// "Host in maintenance since `since_ms`, set by `by`, because `reason`."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// When it was set, ms since the epoch (0: unknown).
    pub since_ms: u64,
    /// Who set it: `user@operator-machine pid N`.
    pub by: String,
    /// Why (may be empty).
    pub reason: String,
}

impl Mark {
    /// A mark set now by this process. `reason` must have passed [`check_reason`].
    pub fn new(reason: &str) -> Mark {
        Mark {
            since_ms: crate::claims::now_ms(),
            by: format!(
                "{}@{} pid {}",
                operator_user(),
                crate::claims::operator_host(),
                std::process::id()
            ),
            reason: reason.to_string(),
        }
    }

    /// The mark in a file's text. A file that is there but is not a mark
    /// vmigrate wrote still puts the host in maintenance (someone meant
    /// something by it): its text becomes the reason.
    pub fn parse(text: &str) -> Mark {
        let text = text.trim();
        serde_json::from_str(text).unwrap_or_else(|_| Mark {
            since_ms: 0,
            by: "unknown".into(),
            reason: format!(
                "unreadable mark {}: {:?}",
                super::FILE,
                text.chars().take(80).collect::<String>()
            ),
        })
    }

    /// One JSON line, as written to the host.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// "since 2026-11-26 10:03 UTC by root@ops1 pid 42: kernel update"
    /// (not sanitised: the printer and the tables do that).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if self.since_ms > 0 {
            s.push_str(&format!("since {} ", utc(self.since_ms)));
        }
        s.push_str(&format!("by {}", self.by));
        if !self.reason.is_empty() {
            s.push_str(&format!(": {}", self.reason));
        }
        s
    }
}

/// A `--reason` vmigrate will write: one line, no control characters, at
/// most [`REASON_MAX`] characters. The error says what to do.
pub fn check_reason(reason: &str) -> Result<(), String> {
    if reason.chars().any(char::is_control) {
        return Err(
            "--reason must be one line without control characters (newline, tab, escape)".into(),
        );
    }
    if reason.chars().count() > REASON_MAX {
        return Err(format!(
            "--reason is {} characters long; keep it to {REASON_MAX}",
            reason.chars().count()
        ));
    }
    Ok(())
}

/// The operator's login name, for `by` (from the environment, as `id -un`
/// would usually say; the uid when nothing names it).
fn operator_user() -> String {
    let name = ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.is_empty() && u.len() <= 64 && !u.chars().any(char::is_control));
    // SAFETY: getuid has no preconditions and cannot fail.
    name.unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }))
}

/// "2026-11-26 10:03 UTC" for ms since the epoch.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// Year, month, day of the day `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`: the proleptic Gregorian calendar, no table).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_describes() {
        let m = Mark {
            since_ms: 1_795_734_452_542,
            by: "ann@ops1 pid 42".into(),
            reason: "kernel \"6.1\" update".into(),
        };
        assert_eq!(Mark::parse(&format!("{}\n", m.to_line())), m);
        assert_eq!(
            m.describe(),
            "since 2026-11-26 23:07 UTC by ann@ops1 pid 42: kernel \"6.1\" update"
        );
        let bare = Mark {
            since_ms: 0,
            reason: String::new(),
            ..m
        };
        assert_eq!(bare.describe(), "by ann@ops1 pid 42");
    }

    #[test]
    fn a_file_that_is_not_a_mark_still_marks() {
        let m = Mark::parse("on for the\nnight\x1b[31m");
        assert_eq!(m.since_ms, 0);
        assert_eq!(m.by, "unknown");
        assert!(m.reason.starts_with("unreadable mark /var/lib/libvirt/vmigrate/maintenance.json: \"on for the\\nnight\\u{1b}[31m\""), "{}", m.reason);
        assert!(Mark::parse("").reason.starts_with("unreadable mark"));
    }

    #[test]
    fn new_marks_say_who() {
        let m = Mark::new("evacuate");
        assert!(
            m.by.ends_with(&format!(" pid {}", std::process::id())),
            "{}",
            m.by
        );
        assert!(m.by.contains('@'));
        assert!(m.since_ms > 1_700_000_000_000);
    }

    #[test]
    fn reasons_are_one_short_line() {
        assert!(check_reason("RMA: bad DIMM, ticket #42 'x' $(y)").is_ok());
        assert!(check_reason("").is_ok());
        assert!(check_reason("a\nb").unwrap_err().contains("one line"));
        assert!(check_reason("\u{1b}[2J").is_err());
        assert!(check_reason(&"x".repeat(201)).unwrap_err().contains("200"));
        assert!(check_reason(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(utc(4_107_542_399_000), "2100-02-28 23:59 UTC");
    }
}
