//! `~` expansion for local path values (`identity_file`, `known_hosts`).
//!
//! Only `~` and `~/...` are expanded; `~user/...` is left alone because
//! resolving other users' homes needs the passwd database, and nobody
//! should point vmigrate at someone else's SSH key anyway.

use std::path::{Path, PathBuf};

/// Expands a leading `~` to `home`. Without a home directory the path is kept
/// as written so the eventual "file not found" error still shows what the user typed.
pub(crate) fn expand_tilde(value: &str, home: Option<&Path>) -> PathBuf {
    match (value, home) {
        ("~", Some(home)) => home.to_path_buf(),
        (_, Some(home)) if value.starts_with("~/") => home.join(&value[2..]),
        _ => PathBuf::from(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_only_the_current_users_home() {
        let home = Some(Path::new("/home/alice"));
        assert_eq!(expand_tilde("~", home), PathBuf::from("/home/alice"));
        assert_eq!(
            expand_tilde("~/.ssh/id_ed25519", home),
            PathBuf::from("/home/alice/.ssh/id_ed25519")
        );
        assert_eq!(expand_tilde("~bob/key", home), PathBuf::from("~bob/key"));
        assert_eq!(
            expand_tilde("/etc/ssh/key", home),
            PathBuf::from("/etc/ssh/key")
        );
    }

    #[test]
    fn keeps_the_path_when_home_is_unknown() {
        assert_eq!(expand_tilde("~/.ssh/k", None), PathBuf::from("~/.ssh/k"));
    }
}
