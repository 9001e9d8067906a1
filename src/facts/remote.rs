//! Facts only a shell on the host can tell: its hostname and the free space
//! where instance disks live.

use crate::ssh::{SshError, SshSession};

/// Facts read over SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFacts {
    pub hostname: String,
    /// Free space available to unprivileged writers at `instances_path`, MiB
    /// (`None` when the path does not exist on the host).
    pub disk_free_mb: Option<u64>,
    /// Why disk space is unknown, when it is.
    pub disk_error: Option<String>,
}

/// Reads the facts with one command on the reused connection (every extra
/// exec is another process tree on the host).
pub async fn gather(ssh: &SshSession, instances_path: &str) -> Result<RemoteFacts, SshError> {
    // The path travels as "$1", never inside the script text. `uname -n`
    // rather than `hostname`: present everywhere, no options needed. df's
    // POSIX format (-P) gives one line per filesystem, sizes in KiB (-k).
    const SCRIPT: &str = "uname -n || exit 1; df -Pk -- \"$1\" 2>&1 || true";
    let out = ssh
        .check(&["sh", "-c", SCRIPT, "vmigrate-facts", instances_path])
        .await?;
    let (hostname, df) = out.split_once('\n').unwrap_or((out.as_str(), ""));
    let (disk_free_mb, disk_error) = match parse_df_available_kib(df) {
        Some(kib) => (Some(kib / 1024), None),
        None => (
            None,
            Some(format!(
                "instances_path {instances_path} on {}: {}",
                ssh.host(),
                df.trim()
            )),
        ),
    };
    Ok(RemoteFacts {
        hostname: hostname.trim().to_string(),
        disk_free_mb,
        disk_error,
    })
}

/// The "Available" column of `df -Pk` for the single filesystem listed.
pub fn parse_df_available_kib(out: &str) -> Option<u64> {
    let line = out.lines().nth(1)?;
    // The filesystem name may contain spaces; the numeric columns are the
    // last five fields, so count from the end.
    let fields: Vec<&str> = line.split_whitespace().collect();
    let n = fields.len();
    if n < 6 {
        return None;
    }
    fields[n - 3].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_df() {
        let out = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                   /dev/vda         263174212  11234567 83886080      12% /\n";
        assert_eq!(parse_df_available_kib(out), Some(83886080));
        let spaced = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                      my fs 100 40 60 40% /mnt/x\n";
        assert_eq!(parse_df_available_kib(spaced), Some(60));
        assert_eq!(parse_df_available_kib("garbage"), None);
    }
}
