//! The probes a source host runs against its peers: a bounded TCP connect
//! (bash's `/dev/tcp` under `timeout`) and, for `qemu+ssh` peer URIs, the
//! `ssh … true` its libvirtd's own ssh would have to pass. One exec per
//! source host runs them all at once; hosts, ports, users and key files
//! travel as arguments, never inside the script text.

/// Seconds a TCP connect may take before the path counts as blocked (a
/// firewall that drops packets answers nothing; a LAN peer answers in
/// milliseconds).
pub const CONNECT_SECS: u32 = 3;

/// One probe to run on the source host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Can a TCP connection to `address:port` be opened (or is it refused)?
    Tcp { address: String, port: u16 },
    /// Does `ssh` as the source's root, in batch mode, with strict host-key
    /// checking, log in to the peer and run `true`?
    Ssh {
        address: String,
        port: u16,
        user: Option<String>,
        keyfile: Option<String>,
    },
}

/// What a TCP connect came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tcp {
    /// Accepted: something listens.
    Open,
    /// Refused (a reset): the path is open, nothing listens on the port.
    Refused,
    /// No answer within [`CONNECT_SECS`]: dropped on the way.
    Timeout,
    /// An ICMP error (no route, host or port prohibited): rejected on the way.
    Unreachable(String),
    /// Anything else (a name that does not resolve, …), as the shell said it.
    Error(String),
}

/// What the ssh login came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ssh {
    Ok,
    /// The peer's host key is not in the source's `known_hosts`.
    UnknownHostKey,
    /// The peer's host key differs from the recorded one.
    ChangedHostKey,
    /// The key was refused.
    Denied(String),
    /// Anything else, as ssh said it.
    Error(String),
}

/// What one probe came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Tcp(Tcp),
    Ssh(Ssh),
    /// The script printed no line for it.
    Missing,
}

/// The script: `$@` holds 5 words per probe (kind, address, port, user,
/// key file); each probe prints `r INDEX STATUS MESSAGE`. `LC_ALL=C` keeps
/// the error texts the classifier reads in English.
const SCRIPT: &str = r#"
for t in bash timeout; do command -v "$t" >/dev/null 2>&1 || { echo "missing $t"; exit 0; }; done
tcp() {
  m=$(LC_ALL=C timeout "$S" bash -c 'exec 3<>"/dev/tcp/$1/$2"' vmigrate-probe "$2" "$3" 2>&1 >/dev/null)
  r=$?
  printf 'r %s %s %s\n' "$1" "$r" "$(printf %s "$m" | tr '\n' ' ')"
}
sshtry() {
  i=$1 h=$2 p=$3 u=$4 k=$5
  set -- -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout="$S" -p "$p"
  if [ -n "$u" ]; then set -- "$@" -l "$u"; fi
  if [ -n "$k" ]; then set -- "$@" -i "$k"; fi
  m=$(LC_ALL=C timeout $((S * 3)) ssh "$@" -- "$h" true 2>&1 </dev/null)
  r=$?
  printf 'r %s %s %s\n' "$i" "$r" "$(printf %s "$m" | tr '\n' ' ')"
}
S=$1; shift; n=0
while [ $# -ge 5 ]; do
  if [ "$1" = ssh ]; then sshtry "$n" "$2" "$3" "$4" "$5" & else tcp "$n" "$2" "$3" & fi
  n=$((n + 1)); shift 5
done
wait
"#;

/// The argv that runs `probes` on a host (through `sh -c`).
pub fn argv(probes: &[Probe]) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "sh".into(),
        "-c".into(),
        SCRIPT.into(),
        "vmigrate-doctor".into(),
        CONNECT_SECS.to_string(),
    ];
    for p in probes {
        let (kind, address, port, user, keyfile) = match p {
            Probe::Tcp { address, port } => ("tcp", address, port, None, None),
            Probe::Ssh {
                address,
                port,
                user,
                keyfile,
            } => ("ssh", address, port, user.as_deref(), keyfile.as_deref()),
        };
        a.extend([
            kind.to_string(),
            address.clone(),
            port.to_string(),
            user.unwrap_or_default().to_string(),
            keyfile.unwrap_or_default().to_string(),
        ]);
    }
    a
}

/// The outcome of every probe from the script's output, in probe order;
/// `Err` names a tool the host lacks.
pub fn parse(probes: &[Probe], stdout: &str) -> Result<Vec<Outcome>, String> {
    if let Some(tool) = stdout.lines().find_map(|l| l.strip_prefix("missing ")) {
        return Err(format!(
            "{} is not installed (doctor's probes run bash's /dev/tcp under timeout)",
            tool.trim()
        ));
    }
    let mut out = vec![Outcome::Missing; probes.len()];
    for line in stdout.lines() {
        let mut w = line.splitn(4, ' ');
        let (Some("r"), Some(i), Some(status)) = (w.next(), w.next(), w.next()) else {
            continue;
        };
        let (Ok(i), Ok(status)) = (i.parse::<usize>(), status.parse::<u32>()) else {
            continue;
        };
        let message = w.next().unwrap_or("").trim();
        if let Some(slot) = out.get_mut(i) {
            *slot = match probes[i] {
                Probe::Tcp { .. } => Outcome::Tcp(tcp(status, message)),
                Probe::Ssh { .. } => Outcome::Ssh(ssh(status, message)),
            };
        }
    }
    Ok(out)
}

/// `timeout`'s status when it killed the command.
const TIMED_OUT: u32 = 124;

/// A TCP probe's status and bash's message.
fn tcp(status: u32, message: &str) -> Tcp {
    let reason = bash_reason(message);
    match status {
        0 => Tcp::Open,
        TIMED_OUT => Tcp::Timeout,
        _ if message.contains("Connection refused") => Tcp::Refused,
        _ if message.contains("Connection timed out") => Tcp::Timeout,
        _ if [
            "No route to host",
            "Network is unreachable",
            "Permission denied",
        ]
        .iter()
        .any(|m| message.contains(m)) =>
        {
            Tcp::Unreachable(reason)
        }
        _ => Tcp::Error(reason),
    }
}

/// bash says `vmigrate-probe: connect: No route to host vmigrate-probe:
/// line 1: /dev/tcp/…: No route to host`: the first reason is enough.
fn bash_reason(message: &str) -> String {
    message
        .split_once("connect: ")
        .map_or(message, |(_, r)| {
            r.split(" vmigrate-probe:").next().unwrap_or(r)
        })
        .trim()
        .to_string()
}

/// An ssh probe's status and ssh's message.
fn ssh(status: u32, message: &str) -> Ssh {
    if status == 0 {
        Ssh::Ok
    } else if message.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        Ssh::ChangedHostKey
    } else if message.contains("Host key verification failed")
        || message.contains("No ED25519 host key is known")
        || message.contains("host key is known")
    {
        Ssh::UnknownHostKey
    } else if message.contains("Permission denied") {
        Ssh::Denied(message.trim().to_string())
    } else if status == TIMED_OUT {
        Ssh::Error(format!("no answer within {}s", CONNECT_SECS * 3))
    } else {
        Ssh::Error(message.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp_probe(a: &str, p: u16) -> Probe {
        Probe::Tcp {
            address: a.into(),
            port: p,
        }
    }

    #[test]
    fn arguments_are_five_words_a_probe() {
        let a = argv(&[
            tcp_probe("10.0.0.2", 49152),
            Probe::Ssh {
                address: "h'; rm -rf /".into(),
                port: 22,
                user: None,
                keyfile: Some("/k".into()),
            },
        ]);
        assert_eq!(&a[..2], ["sh", "-c"]);
        assert_eq!(
            &a[3..],
            [
                "vmigrate-doctor",
                "3",
                "tcp",
                "10.0.0.2",
                "49152",
                "",
                "",
                "ssh",
                "h'; rm -rf /",
                "22",
                "",
                "/k"
            ]
        );
        assert!(!a[2].contains("10.0.0.2"));
    }

    /// The script run by the local sh against ports of this machine: a
    /// listening one, a closed one; and a missing tool reported.
    #[test]
    fn the_script_runs_and_its_lines_parse() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap().port();
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let probes = [tcp_probe("127.0.0.1", open), tcp_probe("127.0.0.1", closed)];
        let a = argv(&probes);
        let out = std::process::Command::new(&a[0])
            .args(&a[1..])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if stdout.starts_with("missing") {
            eprintln!("skipped: {stdout}");
            return;
        }
        assert_eq!(
            parse(&probes, &stdout).unwrap(),
            vec![Outcome::Tcp(Tcp::Open), Outcome::Tcp(Tcp::Refused)],
            "{stdout}"
        );
    }

    /// Lines as bash 5.2 and OpenSSH 9.2 printed them on a lab host (the
    /// script joins a message's lines with spaces).
    #[test]
    fn outcomes_from_captured_lines() {
        let probes = [
            tcp_probe("10.213.77.12", 49152),
            tcp_probe("10.213.77.12", 22),
            tcp_probe("10.213.77.13", 22),
            Probe::Ssh {
                address: "10.213.77.12".into(),
                port: 22,
                user: None,
                keyfile: None,
            },
            Probe::Ssh {
                address: "10.213.77.13".into(),
                port: 22,
                user: None,
                keyfile: None,
            },
            tcp_probe("nowhere", 22),
        ];
        let stdout = "r 1 0 \n\
            r 0 1 vmigrate-probe: connect: No route to host vmigrate-probe: line 1: /dev/tcp/10.213.77.12/49152: No route to host \n\
            r 2 124 \n\
            r 3 255 No ED25519 host key is known for 10.213.77.12 and you have requested strict checking. Host key verification failed. \n\
            r 4 255 root@10.213.77.13: Permission denied (publickey). \n";
        let got = parse(&probes, stdout).unwrap();
        assert_eq!(
            got,
            vec![
                Outcome::Tcp(Tcp::Unreachable("No route to host".into())),
                Outcome::Tcp(Tcp::Open),
                Outcome::Tcp(Tcp::Timeout),
                Outcome::Ssh(Ssh::UnknownHostKey),
                Outcome::Ssh(Ssh::Denied(
                    "root@10.213.77.13: Permission denied (publickey).".into()
                )),
                Outcome::Missing,
            ]
        );
        assert_eq!(
            tcp(1, "vmigrate-probe: connect: Connection refused vmigrate-probe: line 1: /dev/tcp/h/1: Connection refused"),
            Tcp::Refused
        );
        assert_eq!(
            tcp(1, "vmigrate-probe: line 1: nowhere: Temporary failure in name resolution vmigrate-probe: line 1: /dev/tcp/nowhere/22: Invalid argument"),
            Tcp::Error("vmigrate-probe: line 1: nowhere: Temporary failure in name resolution vmigrate-probe: line 1: /dev/tcp/nowhere/22: Invalid argument".into())
        );
        assert_eq!(
            ssh(
                255,
                "@@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@@"
            ),
            Ssh::ChangedHostKey
        );
        assert_eq!(
            parse(&probes, "missing bash\n").unwrap_err(),
            "bash is not installed (doctor's probes run bash's /dev/tcp under timeout)"
        );
    }
}
