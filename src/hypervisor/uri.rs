//! The libvirt URI actually opened for a host.
//!
//! The inventory's `libvirt_uri` is used as written, with two additions for
//! the `+ssh` transport when the operator has not set them: `no_tty=1`, so
//! OpenSSH never prompts (a prompt in the middle of a concurrent fleet-wide
//! run could only hang; it also makes ssh run in `BatchMode`, which refuses
//! unknown host keys instead of asking), and `keyfile=` from the inventory's
//! `identity_file`, so libvirt logs in with the same key as vmigrate's own SSH.

use std::path::Path;

/// Returns `uri` with `no_tty=1` and `keyfile` added for `+ssh` transports.
pub fn effective_uri(uri: &str, identity_file: Option<&Path>) -> String {
    let transport_is_ssh = uri
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme.ends_with("+ssh"));
    if !transport_is_ssh {
        return uri.to_string();
    }
    let (base, query) = match uri.split_once('?') {
        Some((b, q)) => (b, q.to_string()),
        None => (uri, String::new()),
    };
    let has = |k: &str| query.split('&').any(|kv| kv.split('=').next() == Some(k));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !has("no_tty") {
        params.push("no_tty=1".to_string());
    }
    if let Some(key) = identity_file {
        if !has("keyfile") {
            params.push(format!("keyfile={}", escape(&key.to_string_lossy())));
        }
    }
    format!("{base}?{}", params.join("&"))
}

/// Percent-escapes what would end or split a query value.
fn escape(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' | b'~' => {
                out.push(b as char);
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_uri_gets_no_tty_and_keyfile() {
        assert_eq!(
            effective_uri(
                "qemu+ssh://root@10.0.0.1:22/system",
                Some(Path::new("/k/id"))
            ),
            "qemu+ssh://root@10.0.0.1:22/system?no_tty=1&keyfile=/k/id"
        );
    }

    #[test]
    fn operator_settings_win() {
        assert_eq!(
            effective_uri(
                "qemu+ssh://h/system?keyfile=/a&no_tty=0",
                Some(Path::new("/b"))
            ),
            "qemu+ssh://h/system?keyfile=/a&no_tty=0"
        );
    }

    #[test]
    fn other_transports_untouched_and_paths_escaped() {
        assert_eq!(
            effective_uri("qemu+tls://h/system", None),
            "qemu+tls://h/system"
        );
        assert_eq!(
            effective_uri("qemu+ssh://h/system", Some(Path::new("/a b&c"))),
            "qemu+ssh://h/system?no_tty=1&keyfile=/a%20b%26c"
        );
    }
}
