//! Host addresses: a DNS hostname, an IPv4 address, or a bare IPv6 address.
//!
//! Addresses are pasted into ssh command lines and libvirt URIs, so anything
//! that is not one of these three shapes (whitespace, `$(`, `;`, a leading
//! `-` that ssh would read as an option) is refused up front.

use std::net::{Ipv4Addr, Ipv6Addr};

const HOSTNAME_MAX_LEN: usize = 253;
const LABEL_MAX_LEN: usize = 63;

/// Checks the value of the address-like key `key` (`address`, `migration_address`).
pub(crate) fn check_address(key: &str, s: &str) -> Result<String, String> {
    if s.parse::<Ipv6Addr>().is_ok() || s.parse::<Ipv4Addr>().is_ok() {
        return Ok(s.to_owned());
    }
    let inner = s.strip_prefix('[').and_then(|r| r.strip_suffix(']'));
    if inner.is_some_and(|i| i.parse::<Ipv6Addr>().is_ok()) {
        return Err(format!(
            "invalid {key} {s:?}: write IPv6 addresses without brackets (e.g. \"fd00::1\"); \
             vmigrate adds them where URIs need them"
        ));
    }
    if s.contains(':') {
        return Err(format!(
            "invalid {key} {s:?}: not a valid IPv6 address (zone ids like %eth0 are not supported)"
        ));
    }
    if is_hostname(s) {
        // All-numeric "hostnames" like 10.0.0.256 are almost certainly mistyped IPv4.
        if s.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!("invalid {key} {s:?}: not a valid IPv4 address"));
        }
        return Ok(s.to_owned());
    }
    Err(format!(
        "invalid {key} {s:?}: expected a hostname (letters, digits, '-', '_' and '.'), \
         an IPv4 address, or a bare IPv6 address such as fd00::1"
    ))
}

/// RFC 1123 hostname, with '_' tolerated because internal DNS often has it
/// and an optional trailing dot for fully qualified names.
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty() && s.len() <= HOSTNAME_MAX_LEN && s.split('.').all(is_label)
}

fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= LABEL_MAX_LEN
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_hostnames_and_ip_addresses() {
        for good in [
            "kvm1",
            "kvm1.example.com",
            "kvm1.example.com.",
            "10.0.0.11",
            "fd00::1",
            "::1",
            "host_a",
        ] {
            assert_eq!(check_address("address", good), Ok(good.to_owned()));
        }
    }

    #[test]
    fn rejects_shell_metacharacters_and_junk() {
        for bad in [
            "",
            "$(reboot)",
            "a;b",
            "a b",
            "-oProxyCommand=x",
            "a..b",
            "x-.y",
            "fe80::1%eth0",
        ] {
            assert!(check_address("address", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn explains_bracketed_ipv6_and_bad_ipv4() {
        let e = check_address("address", "[fd00::1]").unwrap_err();
        assert!(e.contains("without brackets"), "{e}");
        let e = check_address("migration_address", "10.0.0.256").unwrap_err();
        assert!(e.contains("invalid migration_address"), "{e}");
        assert!(e.contains("not a valid IPv4"), "{e}");
    }
}
