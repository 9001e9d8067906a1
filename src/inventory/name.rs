//! Inventory-style names: host names, zones, tags and SSH users.
//!
//! The charset is deliberately narrow so names can be used unquoted in
//! shell commands, libvirt URIs, file names and log lines.

/// Longest accepted name, in characters.
const MAX_NAME_LEN: usize = 64;

/// Human description of the charset, shared by every error message about names.
pub(crate) const NAME_RULE: &str = "use 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-'";

/// Validates an inventory-style name (host, zone, tag): `[A-Za-z0-9._-]+`, 1..=64 chars.
///
/// Public because VM names and `--to` arguments reuse it.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Checks a name of the given `kind` ("host name", "zone", "tag") for the inventory parser.
pub(crate) fn check_name(kind: &str, s: &str) -> Result<String, String> {
    if valid_name(s) {
        Ok(s.to_owned())
    } else {
        Err(format!("invalid {kind} {s:?}: {NAME_RULE}"))
    }
}

/// Checks an SSH user name.
///
/// Same charset as names, but a leading '-' is refused as well: the user ends
/// up in ssh/libvirt command lines where it could be read as an option.
pub(crate) fn check_user(s: &str) -> Result<String, String> {
    if valid_name(s) && !s.starts_with('-') {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "invalid user {s:?}: {NAME_RULE}, not starting with '-'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_charset() {
        assert!(valid_name("kvm1"));
        assert!(valid_name("rack-a.row_2"));
        assert!(valid_name(&"a".repeat(64)));
    }

    #[test]
    fn rejects_empty_long_and_odd_characters() {
        for bad in ["", "kvm 1", "kvm;1", "kvm/1", "kvmé", "a$(b)"] {
            assert!(!valid_name(bad), "{bad:?} should be rejected");
        }
        assert!(!valid_name(&"a".repeat(65)));
    }

    #[test]
    fn users_may_not_look_like_options() {
        assert!(check_user("root").is_ok());
        assert!(check_user("-oProxyCommand").is_err());
    }
}
