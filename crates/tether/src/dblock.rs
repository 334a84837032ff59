//! One process per SQLite database. `tether serve`, `demo` and `migrate` hold an
//! exclusive lock on a file beside the database for as long as they run, with
//! their PID and address in it, so a second one refuses to start and says which
//! process holds it (two processes on one SQLite file once broke each other: the
//! second demo deleted the first one's sites and took its deliveries). Several
//! processes on one PostgreSQL database stay supported: they take no lock.
//!
//! The database file is created with mode 0600 (like the key file beside it), and
//! an existing one readable by others is made private.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The lock on a SQLite database, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DatabaseLock {
    file: File,
    path: PathBuf,
}

/// The database file of a `sqlite://` URL; `None` for other databases.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

impl DatabaseLock {
    /// Takes the lock of the SQLite database at `url` (`None` for PostgreSQL), and
    /// makes sure the database file exists and is private. `what` says what this
    /// process is, for the message another one would show.
    pub fn acquire(url: &str, what: &str) -> Result<Option<DatabaseLock>> {
        let Some(db) = sqlite_path(url) else { return Ok(None) };
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        }
        private_file(&db)?;
        let mut name = db.file_name().unwrap_or_default().to_owned();
        name.push(".lock");
        let path = db.with_file_name(name);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process".to_owned()
                } else {
                    holder.replace('\n', ", ")
                };
                anyhow::bail!(
                    "the database {} is in use by another tether ({holder}); stop that one \
                     first, or give this one its own data_dir and database_url (on PostgreSQL, \
                     several processes may share one database)",
                    db.display()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        let mut lock = DatabaseLock { file, path };
        lock.write(&format!("pid {}, {what}", std::process::id()))?;
        Ok(Some(lock))
    }

    /// Adds where this process serves to what a second one is told.
    pub fn announce(&mut self, url: &str) -> Result<()> {
        let what = format!("pid {}, serving at {url}", std::process::id());
        self.write(&what)
    }

    fn write(&mut self, text: &str) -> Result<()> {
        let failed = || format!("cannot write the lock file {}", self.path.display());
        self.file.set_len(0).with_context(failed)?;
        self.file.seek(SeekFrom::Start(0)).with_context(failed)?;
        writeln!(self.file, "{text}").with_context(failed)?;
        self.file.flush().with_context(failed)
    }
}

/// Creates `path` with mode 0600 if it is missing; takes group and other access
/// away from an existing one.
fn private_file(path: &Path) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(path)
        .with_context(|| format!("cannot create the database file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            let private = std::fs::Permissions::from_mode(mode & 0o700);
            std::fs::set_permissions(path, private)
                .with_context(|| format!("cannot make {} private", path.display()))?;
            tracing::warn!(path = %path.display(), "the database file was readable by others; it is now private (0600)");
        }
    }
    drop(file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        let cases = [
            ("sqlite://./tether-data/tether.db", Some("./tether-data/tether.db")),
            ("sqlite:///var/lib/tether/t.db?mode=rwc", Some("/var/lib/tether/t.db")),
            ("sqlite::memory:", None),
            ("postgres://u:p@h/db", None),
        ];
        for (url, want) in cases {
            assert_eq!(sqlite_path(url), want.map(PathBuf::from), "{url}");
        }
    }

    #[test]
    fn two_processes_on_one_data_folder() {
        // Reported: a second `tether demo` on the same ./tether-data started and broke
        // the first. The lock is per open file description, like a second process's.
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/tether.db", dir.path().display());
        let mut first = DatabaseLock::acquire(&url, "demo").unwrap().expect("sqlite");
        first.announce("http://127.0.0.1:8080").unwrap();
        let err = DatabaseLock::acquire(&url, "demo").unwrap_err().to_string();
        let pid = std::process::id().to_string();
        assert!(err.contains(&pid) && err.contains("http://127.0.0.1:8080"), "{err}");
        drop(first);
        assert!(DatabaseLock::acquire(&url, "demo").unwrap().is_some(), "released on drop");
        assert!(DatabaseLock::acquire("postgres://h/db", "serve").unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn the_sqlite_file_was_created_0644() {
        // Reported: the database was created 0644 (the key file beside it is 0600).
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("tether.db");
        let url = format!("sqlite://{}", db.display());
        drop(DatabaseLock::acquire(&url, "serve").unwrap());
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(DatabaseLock::acquire(&url, "serve").unwrap());
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
