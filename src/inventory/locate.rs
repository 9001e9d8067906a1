//! Finding the inventory file.
//!
//! Order: `-i/--inventory PATH`, then `$VMIGRATE_INVENTORY`, then
//! `./inventory.toml`, then `$XDG_CONFIG_HOME/vmigrate/inventory.toml`
//! (`~/.config/vmigrate/inventory.toml` when `XDG_CONFIG_HOME` is unset).
//! A path the user named must exist; the implicit places are merely tried.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::error::{InventoryError, Origin};

const ENV_VAR: &str = "VMIGRATE_INVENTORY";
const FILE_NAME: &str = "inventory.toml";

/// Where the inventory comes from: explicit path (from -i) wins, then env
/// `VMIGRATE_INVENTORY`, then ./inventory.toml, then the config dir.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, InventoryError> {
    let env_value = std::env::var_os(ENV_VAR);
    locate_in(
        explicit,
        env_value.as_deref(),
        Path::new("."),
        config_dir().as_deref(),
    )
}

/// The XDG config directory. Relative `XDG_CONFIG_HOME` values are ignored, as
/// the XDG spec requires, because they would depend on the cwd.
fn config_dir() -> Option<PathBuf> {
    let non_empty = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    non_empty("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".config")))
}

/// [`locate`] with its inputs from the environment passed in, for tests.
/// An empty `env_value` counts as unset, as shells make unsetting awkward.
pub(crate) fn locate_in(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    cwd: &Path,
    config_dir: Option<&Path>,
) -> Result<PathBuf, InventoryError> {
    if let Some(path) = explicit {
        return named(path, Origin::Flag);
    }
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        return named(Path::new(value), Origin::Env);
    }
    let mut searched = vec![cwd.join(FILE_NAME)];
    if let Some(dir) = config_dir {
        searched.push(dir.join("vmigrate").join(FILE_NAME));
    }
    match searched.iter().find(|p| p.is_file()) {
        Some(found) => Ok(found.clone()),
        None => Err(InventoryError::NotFound { searched }),
    }
}

/// A named path only fails here when it certainly does not exist; anything
/// murkier (e.g. permission denied) is left for `load` to report precisely.
fn named(path: &Path, origin: Origin) -> Result<PathBuf, InventoryError> {
    match path.try_exists() {
        Ok(false) => Err(InventoryError::Missing {
            path: path.to_path_buf(),
            origin,
        }),
        _ => Ok(path.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    struct Dirs {
        _root: tempfile::TempDir,
        cwd: PathBuf,
        config: PathBuf,
    }

    fn dirs() -> Dirs {
        let root = tempfile::tempdir().unwrap();
        let cwd = root.path().join("cwd");
        let config = root.path().join("config");
        fs::create_dir_all(&cwd).unwrap();
        fs::create_dir_all(config.join("vmigrate")).unwrap();
        Dirs {
            _root: root,
            cwd,
            config,
        }
    }

    fn touch(path: &Path) {
        fs::write(path, "").unwrap();
    }

    #[test]
    fn explicit_path_wins_over_everything() {
        let d = dirs();
        let explicit = d.cwd.join("mine.toml");
        touch(&explicit);
        touch(&d.cwd.join(FILE_NAME));
        let env = d.cwd.join(FILE_NAME);
        let found = locate_in(Some(&explicit), Some(env.as_os_str()), &d.cwd, None).unwrap();
        assert_eq!(found, explicit);
    }

    #[test]
    fn env_wins_over_implicit_places() {
        let d = dirs();
        let env = d.cwd.join("env.toml");
        touch(&env);
        touch(&d.cwd.join(FILE_NAME));
        let found = locate_in(None, Some(env.as_os_str()), &d.cwd, Some(&d.config)).unwrap();
        assert_eq!(found, env);
    }

    #[test]
    fn missing_named_paths_say_who_named_them() {
        let d = dirs();
        let gone = d.cwd.join("gone.toml");
        let err = locate_in(Some(&gone), None, &d.cwd, None).unwrap_err();
        assert!(err.to_string().contains("-i/--inventory"), "{err}");
        let err = locate_in(None, Some(gone.as_os_str()), &d.cwd, None).unwrap_err();
        assert!(err.to_string().contains("VMIGRATE_INVENTORY"), "{err}");
    }

    #[test]
    fn empty_env_counts_as_unset() {
        let d = dirs();
        touch(&d.cwd.join(FILE_NAME));
        let found = locate_in(None, Some(OsStr::new("")), &d.cwd, None).unwrap();
        assert_eq!(found, d.cwd.join(FILE_NAME));
    }

    #[test]
    fn cwd_comes_before_config_dir() {
        let d = dirs();
        let in_config = d.config.join("vmigrate").join(FILE_NAME);
        touch(&in_config);
        assert_eq!(
            locate_in(None, None, &d.cwd, Some(&d.config)).unwrap(),
            in_config
        );
        touch(&d.cwd.join(FILE_NAME));
        assert_eq!(
            locate_in(None, None, &d.cwd, Some(&d.config)).unwrap(),
            d.cwd.join(FILE_NAME)
        );
    }

    #[test]
    fn not_found_lists_all_places_searched() {
        let d = dirs();
        match locate_in(None, None, &d.cwd, Some(&d.config)) {
            Err(InventoryError::NotFound { searched }) => assert_eq!(
                searched,
                vec![
                    d.cwd.join(FILE_NAME),
                    d.config.join("vmigrate").join(FILE_NAME)
                ]
            ),
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}
