//! The operator's OpenSSH client configuration applied to each host.
//!
//! An operator's hosts are usually reachable as `ssh kvm1` because
//! `~/.ssh/config` says what `kvm1` is (`HostName`, `User`, `IdentityFile`,
//! a `ProxyJump` through a bastion). vmigrate reads the same file (or the
//! inventory's `ssh_config`; `ssh_config = ""` reads none) with ssh2-config,
//! looks the inventory `address` up in it as `ssh` would look up its
//! argument, and takes: `HostName` (`%h` expanded), `User`, `Port`,
//! `IdentityFile`, `IdentitiesOnly`, `ProxyJump`, `UserKnownHostsFile`,
//! `ConnectTimeout` and `ServerAliveInterval`. The inventory wins wherever
//! both say something: a key written in `[defaults]` or the host's entry
//! is used over the file's.
//!
//! The resolved `HostName` becomes the host's address everywhere: in the
//! URIs the hosts' own libvirtd use (they cannot know the operator's
//! aliases) and in `known_hosts` lookups (as OpenSSH does).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ssh2_config::{HostParams, ParseRule, SshConfig};

use super::address::check_address;
use super::name::check_user;
use super::settings::Settings;
use super::tilde::expand_tilde;

/// Where the OpenSSH client configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SshConfigSource {
    /// `ssh_config = ""`: none.
    Off,
    /// `~/.ssh/config`, read only when it exists.
    Default(PathBuf),
    /// The inventory's `ssh_config`: must exist.
    File(PathBuf),
}

/// One jump host of a `ProxyJump` chain, resolved through the same file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jump {
    /// As written in `ProxyJump` (for messages).
    pub spec: String,
    pub address: String,
    pub port: u16,
    pub user: String,
    pub identity_files: Vec<PathBuf>,
    pub identities_only: bool,
    pub known_hosts: PathBuf,
}

/// How vmigrate's SSH reaches a host beyond address, user and port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshRoute {
    /// The inventory `address` when the SSH configuration resolved it to
    /// another `HostName` (shown in messages beside the real address).
    pub alias: Option<String>,
    /// Tried in order after ssh-agent's keys.
    pub identity_files: Vec<PathBuf>,
    /// `IdentitiesOnly yes`: the agent's keys are not offered.
    pub identities_only: bool,
    /// `ProxyJump`, first hop first; empty for a direct connection.
    pub jumps: Vec<Jump>,
    /// `ServerAliveInterval`, when set.
    pub keepalive: Option<Duration>,
}

/// A host's SSH settings once the configuration file was applied.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub address: String,
    pub user: String,
    pub port: u16,
    pub known_hosts: PathBuf,
    pub connect_timeout: Duration,
    pub route: SshRoute,
}

/// A configuration file read: `None` when an optional one does not exist.
type Loaded = Result<Option<Arc<SshConfig>>, String>;

/// Parsed configuration files, read once per inventory load.
#[derive(Default)]
pub(crate) struct SshConfigs {
    /// By path and whether it must exist.
    cache: HashMap<(PathBuf, bool), Loaded>,
}

impl SshConfigs {
    /// The parsed file of `source`; `None` when there is none to read.
    pub fn get(&mut self, source: &SshConfigSource, home: Option<&Path>) -> Loaded {
        let (path, required) = match source {
            SshConfigSource::Off => return Ok(None),
            SshConfigSource::Default(p) => (p, false),
            SshConfigSource::File(p) => (p, true),
        };
        self.cache
            .entry((path.clone(), required))
            .or_insert_with(|| load(path, required, home))
            .clone()
    }
}

fn load(path: &Path, required: bool, home: Option<&Path>) -> Loaded {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the SSH configuration {}: {e}; fix the file or set ssh_config = \"\" \
                 in [defaults] to read none",
                path.display()
            ))
        }
    };
    let mut config = SshConfig::default();
    if let Some(home) = home {
        config = config.home_dir(home);
    }
    // Options vmigrate has no use for (ForwardX11, ControlMaster, …) are
    // fine; unsupported ones are kept so IdentitiesOnly and
    // UserKnownHostsFile can be read from them.
    let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
    config
        .parse(&mut text.as_bytes(), rules)
        .map(|c| Some(Arc::new(c)))
        .map_err(|e| {
            format!(
                "cannot parse the SSH configuration {}: {e}; fix the file or set ssh_config = \"\" \
                 in [defaults] to read none",
                path.display()
            )
        })
}

/// Which SSH keys the inventory itself sets (at `[defaults]` or the host):
/// those win over the configuration file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one flag per inventory key, read independently"
)]
pub(crate) struct Explicit {
    pub user: bool,
    pub port: bool,
    pub identity_file: bool,
    pub known_hosts: bool,
    pub connect_timeout: bool,
}

/// Applies `config` (if any) to the host written as `address` with the
/// settings `s`. `local_user` is the jump hosts' default login, as for `ssh`.
pub(crate) fn resolve(
    config: Option<&SshConfig>,
    address: &str,
    s: &Settings,
    local_user: &str,
    home: Option<&Path>,
) -> Result<Resolved, String> {
    let from_inventory = Resolved {
        address: address.to_owned(),
        user: s.user.clone(),
        port: s.port,
        known_hosts: s.known_hosts.clone(),
        connect_timeout: s.connect_timeout,
        route: SshRoute {
            identity_files: s.identity_file.iter().cloned().collect(),
            ..SshRoute::default()
        },
    };
    let Some(config) = config else {
        return Ok(from_inventory);
    };
    let p = config.query(address);
    // What the inventory sets wins.
    let set = s.explicit;
    let host_name = host_name(&p, address)?;
    let user = match (&p.user, set.user) {
        (Some(u), false) => {
            check_user(u).map_err(|e| format!("User in the SSH configuration: {e}"))?
        }
        _ => s.user.clone(),
    };
    let identity_files = if set.identity_file {
        from_inventory.route.identity_files.clone()
    } else {
        identity_files(&p, home)
    };
    let known_hosts = match (known_hosts_file(&p, home), set.known_hosts) {
        (Some(k), false) => k,
        _ => s.known_hosts.clone(),
    };
    let jump_defaults = JumpDefaults {
        user: local_user,
        identity_files: &identity_files,
        known_hosts: &known_hosts,
    };
    let jumps = match &p.proxy_jump {
        Some(list) if !is_none(list) => list
            .iter()
            .map(|spec| jump(config, spec, &jump_defaults, home))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    Ok(Resolved {
        address: host_name.clone(),
        user,
        port: if set.port {
            s.port
        } else {
            p.port.unwrap_or(s.port)
        },
        known_hosts,
        connect_timeout: match (p.connect_timeout, set.connect_timeout) {
            (Some(t), false) if !t.is_zero() => t,
            _ => s.connect_timeout,
        },
        route: SshRoute {
            alias: (host_name != address).then(|| address.to_owned()),
            identity_files,
            identities_only: flag(&p, "identitiesonly"),
            jumps,
            keepalive: p.server_alive_interval.filter(|d| !d.is_zero()),
        },
    })
}

/// What a jump host gets when the file says nothing of it.
struct JumpDefaults<'a> {
    user: &'a str,
    identity_files: &'a [PathBuf],
    known_hosts: &'a Path,
}

/// `ProxyJump none` turns an inherited jump off.
fn is_none(list: &[String]) -> bool {
    list.len() == 1 && list[0].eq_ignore_ascii_case("none")
}

/// One `ProxyJump` element: `[user@]host[:port]` or `ssh://[user@]host[:port]`,
/// its host looked up in the same file (`HostName`, `User`, `Port`,
/// `IdentityFile`, `UserKnownHostsFile`; its own `ProxyJump` is not followed).
fn jump(
    config: &SshConfig,
    spec: &str,
    defaults: &JumpDefaults<'_>,
    home: Option<&Path>,
) -> Result<Jump, String> {
    let bad = |why: &str| format!("ProxyJump {spec:?} in the SSH configuration: {why}");
    let rest = spec.strip_prefix("ssh://").unwrap_or(spec);
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (host, port) = split_port(hostport).map_err(|e| bad(&e))?;
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let p = config.query(host);
    let address = host_name(&p, host).map_err(|e| bad(&e))?;
    let user = user
        .map(str::to_owned)
        .or_else(|| p.user.clone())
        .unwrap_or_else(|| defaults.user.to_owned());
    let user = check_user(&user).map_err(|e| bad(&e))?;
    let identity_files = match identity_files(&p, home) {
        v if v.is_empty() => defaults.identity_files.to_vec(),
        v => v,
    };
    Ok(Jump {
        spec: spec.to_owned(),
        address,
        port: port.or(p.port).unwrap_or(22),
        user,
        identity_files,
        identities_only: flag(&p, "identitiesonly"),
        known_hosts: known_hosts_file(&p, home)
            .unwrap_or_else(|| defaults.known_hosts.to_path_buf()),
    })
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_port(s: &str) -> Result<(&str, Option<u16>), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("bad port {p:?}"))
    };
    if let Some(inner) = s.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or("unclosed [")?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(port(p)?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(format!("unexpected {after:?} after ]")),
        };
    }
    match s.split_once(':') {
        Some((h, p)) if !p.contains(':') => Ok((h, Some(port(p)?))),
        _ => Ok((s, None)),
    }
}

/// `HostName` with `%h` (the name looked up) and `%%` expanded, checked
/// like an inventory address; the name itself when there is none.
fn host_name(p: &HostParams, looked_up: &str) -> Result<String, String> {
    let Some(raw) = &p.host_name else {
        return Ok(looked_up.to_owned());
    };
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(looked_up),
            Some('%') => out.push('%'),
            other => {
                return Err(format!(
                    "HostName {raw:?} in the SSH configuration: only the %h and %% tokens are supported, not %{}",
                    other.map(String::from).unwrap_or_default()
                ))
            }
        }
    }
    check_address("HostName", &out).map_err(|e| format!("{e} (from the SSH configuration)"))
}

/// `IdentityFile` entries, `~` expanded, in the file's order.
fn identity_files(p: &HostParams, home: Option<&Path>) -> Vec<PathBuf> {
    p.identity_file
        .iter()
        .flatten()
        .map(|f| expand_tilde(&f.to_string_lossy(), home))
        .collect()
}

/// The first `UserKnownHostsFile` (the one `ssh` adds new keys to and
/// reads first), `~` expanded; `none` is no file.
fn known_hosts_file(p: &HostParams, home: Option<&Path>) -> Option<PathBuf> {
    let first = p.unsupported_fields.get("userknownhostsfile")?.first()?;
    if first.eq_ignore_ascii_case("none") {
        return Some(PathBuf::from("/dev/null"));
    }
    Some(expand_tilde(first, home))
}

/// A yes/no option ssh2-config leaves among the unsupported ones.
fn flag(p: &HostParams, key: &str) -> bool {
    p.unsupported_fields
        .get(key)
        .and_then(|v| v.first())
        .is_some_and(|v| v.eq_ignore_ascii_case("yes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::settings::Environment;

    const HOME: &str = "/home/op";

    fn config(text: &str) -> SshConfig {
        let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
        SshConfig::default()
            .home_dir(HOME)
            .parse(&mut text.as_bytes(), rules)
            .unwrap()
    }

    fn builtin() -> Settings {
        let env = Environment {
            user: Some("op".into()),
            home: Some(HOME.into()),
        };
        Settings::builtin(&env)
    }

    fn resolve_in(text: &str, address: &str, s: &Settings) -> Result<Resolved, String> {
        resolve(Some(&config(text)), address, s, "op", Some(Path::new(HOME)))
    }

    #[test]
    fn an_alias_takes_every_option_the_file_gives() {
        let text = "Host kvm1\n  HostName 10.0.0.5\n  User admin\n  Port 2222\n  \
                    IdentityFile ~/.ssh/kvm\n  IdentityFile /etc/keys/fleet\n  IdentitiesOnly yes\n  \
                    UserKnownHostsFile ~/.ssh/known_fleet ~/.ssh/known_hosts2\n  ConnectTimeout 7\n  \
                    ServerAliveInterval 2\n  ForwardX11 no\n  ControlMaster auto\n";
        let r = resolve_in(text, "kvm1", &builtin()).unwrap();
        assert_eq!(r.address, "10.0.0.5");
        assert_eq!(r.user, "admin");
        assert_eq!(r.port, 2222);
        assert_eq!(r.known_hosts, PathBuf::from("/home/op/.ssh/known_fleet"));
        assert_eq!(r.connect_timeout, Duration::from_secs(7));
        assert_eq!(r.route.alias.as_deref(), Some("kvm1"));
        assert_eq!(
            r.route.identity_files,
            vec![
                PathBuf::from("/home/op/.ssh/kvm"),
                PathBuf::from("/etc/keys/fleet")
            ]
        );
        assert!(r.route.identities_only);
        assert_eq!(r.route.keepalive, Some(Duration::from_secs(2)));
        assert!(r.route.jumps.is_empty());
        // Another name: the file says nothing of it, the defaults stay.
        let other = resolve_in(text, "kvm2", &builtin()).unwrap();
        assert_eq!((other.address.as_str(), other.port), ("kvm2", 22));
        assert_eq!(other.route.alias, None);
    }

    #[test]
    fn the_inventory_wins_where_both_say_something() {
        let text = "Host kvm1\n  HostName 10.0.0.5\n  User admin\n  Port 2222\n  \
                    IdentityFile ~/.ssh/kvm\n  UserKnownHostsFile ~/.ssh/known_fleet\n  ConnectTimeout 7\n";
        let mut s = builtin();
        s.user = "root".into();
        s.port = 22;
        s.identity_file = Some("/root/key".into());
        s.known_hosts = "/root/kh".into();
        s.connect_timeout = Duration::from_secs(30);
        s.explicit = Explicit {
            user: true,
            port: true,
            identity_file: true,
            known_hosts: true,
            connect_timeout: true,
        };
        let r = resolve_in(text, "kvm1", &s).unwrap();
        // HostName has no inventory key: the file's.
        assert_eq!(r.address, "10.0.0.5");
        assert_eq!((r.user.as_str(), r.port), ("root", 22));
        assert_eq!(r.route.identity_files, vec![PathBuf::from("/root/key")]);
        assert_eq!(r.known_hosts, PathBuf::from("/root/kh"));
        assert_eq!(r.connect_timeout, Duration::from_secs(30));
    }

    #[test]
    fn global_options_wildcards_and_a_jump_chain() {
        let text = "User ops\nIdentityFile ~/.ssh/id_ops\n\n\
                    Host *.dc1\n  ProxyJump bastion,ssh://relay@inner:2200\n\n\
                    Host bastion\n  HostName 192.0.2.1\n  User jumper\n  Port 2022\n\n\
                    Host inner\n  HostName 10.1.0.1\n  UserKnownHostsFile /etc/ssh/inner_hosts\n";
        let r = resolve_in(text, "kvm7.dc1", &builtin()).unwrap();
        assert_eq!(r.user, "ops");
        assert_eq!(r.address, "kvm7.dc1");
        let j = &r.route.jumps;
        assert_eq!(j.len(), 2);
        assert_eq!(
            (
                j[0].spec.as_str(),
                j[0].address.as_str(),
                j[0].port,
                j[0].user.as_str()
            ),
            ("bastion", "192.0.2.1", 2022, "ops")
        );
        // As in OpenSSH, the first value obtained wins: the global `User`
        // comes before `Host bastion`'s.
        assert_eq!(
            j[0].identity_files,
            vec![PathBuf::from("/home/op/.ssh/id_ops")]
        );
        assert_eq!(j[0].known_hosts, PathBuf::from("/home/op/.ssh/known_hosts"));
        // The spec's user and port win over the file's.
        assert_eq!(
            (j[1].address.as_str(), j[1].port, j[1].user.as_str()),
            ("10.1.0.1", 2200, "relay")
        );
        assert_eq!(j[1].known_hosts, PathBuf::from("/etc/ssh/inner_hosts"));
    }

    #[test]
    fn proxyjump_none_and_percent_h() {
        let text = "Host direct.dc1\n  ProxyJump none\n\
                    Host *.dc1\n  ProxyJump bastion\n  HostName %h.example.com\n";
        let r = resolve_in(text, "direct.dc1", &builtin()).unwrap();
        assert!(r.route.jumps.is_empty());
        assert_eq!(r.address, "direct.dc1.example.com");
        let r = resolve_in(text, "kvm1.dc1", &builtin()).unwrap();
        assert_eq!(r.route.jumps.len(), 1);
        assert_eq!(
            r.route.jumps[0].user, "op",
            "a jump host's default login is the local user"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let e = resolve_in("Host k\n  HostName %r.x\n", "k", &builtin()).unwrap_err();
        assert!(e.contains("only the %h and %% tokens"), "{e}");
        let e = resolve_in("Host k\n  HostName 'a b'\n", "k", &builtin()).unwrap_err();
        assert!(
            e.contains("HostName") && e.contains("SSH configuration"),
            "{e}"
        );
        let e = resolve_in("Host k\n  ProxyJump j:99999\n", "k", &builtin()).unwrap_err();
        assert!(
            e.contains("ProxyJump \"j:99999\"") && e.contains("bad port"),
            "{e}"
        );
    }

    #[test]
    fn files_missing_or_broken() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none");
        let mut c = SshConfigs::default();
        assert!(c
            .get(&SshConfigSource::Default(missing.clone()), None)
            .unwrap()
            .is_none());
        let e = c.get(&SshConfigSource::File(missing), None).unwrap_err();
        assert!(
            e.contains("cannot read the SSH configuration") && e.contains("ssh_config = \"\""),
            "{e}"
        );
        let broken = dir.path().join("broken");
        std::fs::write(&broken, "Host x\n  Port notaport\n").unwrap();
        let e = c.get(&SshConfigSource::File(broken), None).unwrap_err();
        assert!(e.contains("cannot parse the SSH configuration"), "{e}");
        assert!(c.get(&SshConfigSource::Off, None).unwrap().is_none());
    }
}
