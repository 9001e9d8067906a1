//! The exit codes of every vmigrate command: the contract runbooks depend on.
//!
//! One table, used by the CLI's `--help`, the README and every command, so that
//! a code never means two things. Commands compute an [`ExitCode`] and return
//! it; only `main` turns it into a process status.

use std::fmt;

/// A documented process exit status. The numeric values never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitCode {
    /// 0: the command did what was asked.
    Ok,
    /// 1: a bug or an unexpected environment failure inside vmigrate.
    Internal,
    /// 2: bad command line, inventory or configuration; nothing was changed.
    Usage,
    /// 3: the VM is not migratable (checks failed); nothing was changed.
    NotMigratable,
    /// 4: the migration failed or was aborted; the VM still runs on the source.
    MigrationFailed,
    /// 5: state inconsistent or unknown; run `vmigrate recover`.
    NeedsAttention,
    /// 6: partial: some hosts unreachable, or some VMs not evacuated.
    Partial,
    /// 130: interrupted; the VM is on the source.
    Interrupted,
}

impl ExitCode {
    /// Every code, in table order (for `--help`, the README and tests).
    pub const ALL: [ExitCode; 8] = [
        ExitCode::Ok,
        ExitCode::Internal,
        ExitCode::Usage,
        ExitCode::NotMigratable,
        ExitCode::MigrationFailed,
        ExitCode::NeedsAttention,
        ExitCode::Partial,
        ExitCode::Interrupted,
    ];

    /// The numeric process status.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Internal => 1,
            ExitCode::Usage => 2,
            ExitCode::NotMigratable => 3,
            ExitCode::MigrationFailed => 4,
            ExitCode::NeedsAttention => 5,
            ExitCode::Partial => 6,
            ExitCode::Interrupted => 130,
        }
    }

    /// What the code tells an operator, one line.
    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Ok => "ok",
            ExitCode::Internal => "internal error",
            ExitCode::Usage => "usage, inventory or config error",
            ExitCode::NotMigratable => "not migratable (checks failed, nothing changed)",
            ExitCode::MigrationFailed => {
                "migration failed or aborted, VM still running on the source"
            }
            ExitCode::NeedsAttention => {
                "needs attention (state inconsistent or unknown; run `vmigrate recover`)"
            }
            ExitCode::Partial => "partial (some hosts unreachable; some VMs not evacuated)",
            ExitCode::Interrupted => "interrupted, VM on the source",
        }
    }

    /// Combines the results of independent parts of one run (e.g. per-host
    /// work): the most severe wins. `NeedsAttention` outranks everything
    /// because it means an operator must look before doing anything else.
    #[must_use]
    pub fn merge(self, other: ExitCode) -> ExitCode {
        if self.severity() >= other.severity() {
            self
        } else {
            other
        }
    }

    fn severity(self) -> u8 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Partial => 1,
            ExitCode::NotMigratable => 2,
            ExitCode::Usage => 3,
            ExitCode::MigrationFailed => 4,
            ExitCode::Interrupted => 5,
            ExitCode::Internal => 6,
            ExitCode::NeedsAttention => 7,
        }
    }

    /// The table as printed at the end of `--help`.
    pub fn help_table() -> String {
        let mut s = String::from("Exit codes:\n");
        for c in Self::ALL {
            s.push_str(&format!("  {:>3}  {}\n", c.code(), c.meaning()));
        }
        s
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.meaning())
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        let nums: Vec<u8> = ExitCode::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(nums, vec![0, 1, 2, 3, 4, 5, 6, 130]);
    }

    #[test]
    fn merge_keeps_the_most_severe() {
        assert_eq!(ExitCode::Ok.merge(ExitCode::Partial), ExitCode::Partial);
        assert_eq!(
            ExitCode::Partial.merge(ExitCode::NeedsAttention),
            ExitCode::NeedsAttention
        );
        assert_eq!(
            ExitCode::MigrationFailed.merge(ExitCode::Ok),
            ExitCode::MigrationFailed
        );
    }

    #[test]
    fn readme_lists_every_code() {
        let readme = include_str!("../README.md");
        for c in ExitCode::ALL {
            assert!(
                readme.contains(&format!("| {} |", c.code())),
                "README exit-code table lacks {}",
                c.code()
            );
        }
    }
}
