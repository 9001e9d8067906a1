//! Facts only a shell on the host can tell: its hostname, the free space
//! where instance disks live, the capacity other runs have claimed there,
//! and the host's maintenance mark.

use crate::claims::{self, Claim};
use crate::maintenance::{self, Mark};
use crate::ssh::{SshError, SshSession};

/// Ends the df section of the output; the live claims follow.
const CLAIMS_MARK: &str = "@@vmigrate-claims";

/// Ends the claims section; the maintenance mark, if any, follows.
const MAINTENANCE_MARK: &str = "@@vmigrate-maintenance";

/// Facts read over SSH.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RemoteFacts {
    pub hostname: String,
    /// Free space available to unprivileged writers at `instances_path`, MiB
    /// (`None` when the path does not exist on the host).
    pub disk_free_mb: Option<u64>,
    /// Why disk space is unknown, when it is.
    pub disk_error: Option<String>,
    /// Other runs' live claims on the host.
    pub claims: Vec<Claim>,
    /// The host's maintenance mark (`crate::maintenance`).
    pub maintenance: Option<Mark>,
    /// The 1-minute load average (`/proc/loadavg`), where the host has one.
    pub load_1m: Option<f64>,
}

/// Reads the facts with one command on the reused connection (every extra
/// exec is another process tree on the host).
pub(crate) async fn gather(
    ssh: &SshSession,
    instances_path: &str,
) -> Result<RemoteFacts, SshError> {
    // The path travels as "$1", never inside the script text. `uname -n`
    // rather than `hostname`: present everywhere, no options needed. df's
    // POSIX format (-P) gives one line per filesystem, sizes in KiB (-k).
    // The claims and the maintenance mark are read by the same exec: no
    // extra round trip.
    const SCRIPT: &str = "uname -n || exit 1; \
                          { read -r l _ < /proc/loadavg && echo \"$l\"; } 2>/dev/null || echo -; \
                          df -Pk -- \"$1\" 2>&1 || true; \
                          echo @@vmigrate-claims; vmigrate_claims \"$2\" || true; \
                          echo @@vmigrate-maintenance; vmigrate_maint \"$3\"";
    let script = format!(
        "{}{}{SCRIPT}",
        claims::protocol::LIST_FN,
        maintenance::protocol::READ_FN
    );
    let argv = [
        "sh",
        "-c",
        &script,
        "vmigrate-facts",
        instances_path,
        claims::DIR,
        maintenance::FILE,
    ];
    let out = ssh.check(&argv).await?;
    let (out, mark) = split_at(&out, MAINTENANCE_MARK);
    let (out, listing) = split_at(out, CLAIMS_MARK);
    let (hostname, rest) = out.split_once('\n').unwrap_or((out, ""));
    let (load, df) = rest.split_once('\n').unwrap_or((rest, ""));
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
        claims: claims::protocol::parse_listing(listing),
        maintenance: maintenance::protocol::parse_facts(mark),
        load_1m: load
            .trim()
            .parse()
            .ok()
            .filter(|l: &f64| l.is_finite() && *l >= 0.0),
    })
}

/// The output before the line `marker`, and the lines after it.
fn split_at<'a>(out: &'a str, marker: &str) -> (&'a str, &'a str) {
    match out.rfind(&format!("\n{marker}\n")) {
        Some(i) => (&out[..=i], &out[i + marker.len() + 2..]),
        None => (out, ""),
    }
}

/// The "Available" column of `df -Pk` for the single filesystem listed.
fn parse_df_available_kib(out: &str) -> Option<u64> {
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
        assert_eq!(parse_df_available_kib(out), Some(83_886_080));
        let spaced = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                      my fs 100 40 60 40% /mnt/x\n";
        assert_eq!(parse_df_available_kib(spaced), Some(60));
        assert_eq!(parse_df_available_kib("garbage"), None);
    }

    #[test]
    fn splits_the_claims_off() {
        let c = Claim::new("r1", "web1", "u1", 128, 1, 0);
        let json = serde_json::to_string(&c).unwrap();
        let out = format!("lab3\nFilesystem ...\n/dev/x 1 2 3 4% /\n{CLAIMS_MARK}\nclaim {json}\n");
        let (head, listing) = split_at(&out, CLAIMS_MARK);
        assert_eq!(head, "lab3\nFilesystem ...\n/dev/x 1 2 3 4% /\n");
        assert_eq!(claims::protocol::parse_listing(listing), vec![c]);
        let (head, listing) = split_at(
            "lab3\ndf: x: No such file\n@@vmigrate-claims\n",
            CLAIMS_MARK,
        );
        assert_eq!((head, listing), ("lab3\ndf: x: No such file\n", ""));
    }

    #[test]
    fn splits_the_mark_off() {
        let m = Mark::new("disk swap");
        let out = format!(
            "lab3\ndf\n{CLAIMS_MARK}\n{MAINTENANCE_MARK}\nmaintenance {}\n",
            m.to_line()
        );
        let (rest, mark) = split_at(&out, MAINTENANCE_MARK);
        assert_eq!(maintenance::protocol::parse_facts(mark), Some(m));
        let (head, listing) = split_at(rest, CLAIMS_MARK);
        assert_eq!((head, listing), ("lab3\ndf\n", ""));
        let none = format!("lab3\n{CLAIMS_MARK}\n{MAINTENANCE_MARK}\n");
        let (_, mark) = split_at(&none, MAINTENANCE_MARK);
        assert_eq!(maintenance::protocol::parse_facts(mark), None);
    }
}
