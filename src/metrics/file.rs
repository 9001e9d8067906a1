//! Writing a metrics file atomically, as `node_exporter`'s textfile
//! collector needs: it may read the file at any moment, so the new text
//! goes to a temporary file in the same directory (created exclusively,
//! with a name nobody can have prepared: no symlink is followed) and is
//! renamed over the old one — readers see the old text or the new, never
//! half of one.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Readable by `node_exporter`, which runs as another user: the figures
/// name VMs and hosts, which the operator's monitoring sees anyway.
const MODE: u32 = 0o644;

/// Replaces the file at `path` with `text`. The error says what to do.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let fail = |what: &str, e: std::io::Error| {
        format!(
            "--metrics-file {}: cannot {what}: {e}; choose a file in a directory this user can write",
            path.display()
        )
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".vmigrate-metrics-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| fail("create a temporary file beside it", e))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(MODE))
        .map_err(|e| fail("set the temporary file's mode", e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.flush())
        .map_err(|e| fail("write the temporary file", e))?;
    tmp.persist(path)
        .map_err(|e| fail("rename the temporary file over it", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn replaces_the_file_whole_and_readable() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("vmigrate.prom");
        super::write(&p, "a\n# EOF\n").unwrap();
        super::write(&p, "b\n# EOF\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "b\n# EOF\n");
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o644);
        // Only the file itself is left: no temporary file behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_one_line_saying_what_to_do() {
        let e = super::write(std::path::Path::new("/nonexistent-dir/x.prom"), "x").unwrap_err();
        assert!(e.contains("/nonexistent-dir/x.prom"), "{e}");
        assert!(e.contains("choose a file"), "{e}");
        assert!(!e.contains('\n'));
    }
}
