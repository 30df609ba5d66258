//! The server key: from `PORTAL_SECRET_KEY`, or from a key file that the
//! first start creates, owner-only, beside the SQLite database.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use portal_domain::ServerKey;
use secrecy::ExposeSecret;

use crate::config::SecretKeySource;
use crate::system::OsRandom;

/// The key the configuration names, creating the key file if needed.
///
/// # Errors
/// A malformed key, or a key file that cannot be read or created.
pub fn load(source: &SecretKeySource) -> anyhow::Result<ServerKey> {
    match source {
        SecretKeySource::Env(text) => ServerKey::parse(text.expose_secret()).context(
            "PORTAL_SECRET_KEY must be 43 characters of base64url (32 bytes); `portal-server secret-key` prints a new one",
        ),
        SecretKeySource::File(path) => from_file(path),
    }
}

/// A new key's text form, for `PORTAL_SECRET_KEY`.
pub fn generate() -> String {
    ServerKey::encode(&ServerKey::generate(&OsRandom).0)
}

fn from_file(path: &Path) -> anyhow::Result<ServerKey> {
    match std::fs::read_to_string(path) {
        Ok(text) => ServerKey::parse(&text)
            .with_context(|| format!("the key file {} does not hold a server key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(e).with_context(|| format!("reading the key file {}", path.display())),
    }
}

/// Writes a fresh key to `path`, readable by this user only. If another
/// process created the file first, its key wins.
fn create(path: &Path) -> anyhow::Result<ServerKey> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating the folder of {}", path.display()))?;
    }
    let text = generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{text}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("writing the key file {}", path.display()))?;
            tracing::info!(file = %path.display(), "created a new server key");
            ServerKey::parse(&text).context("a fresh key parses")
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => from_file(path),
        Err(e) => {
            bail!("cannot create the key file {}: {e}", path.display())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_created_once_owner_only_and_reused() {
        let dir = std::env::temp_dir().join(format!("portal-key-{}", std::process::id()));
        let path = dir.join("nested/secret.key");
        let first = load(&SecretKeySource::File(path.clone())).unwrap();
        let again = load(&SecretKeySource::File(path.clone())).unwrap();
        let link = portal_domain::LinkId::from_uuid(uuid_nil());
        assert_eq!(first.link_token(link).hash(), again.link_token(link).hash());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        assert!(load(&SecretKeySource::File(path)).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_key_from_the_environment_must_be_well_formed() {
        let good = generate();
        assert!(load(&SecretKeySource::Env(good.into())).is_ok());
        let err = load(&SecretKeySource::Env("short".to_owned().into())).unwrap_err();
        assert!(format!("{err:#}").contains("PORTAL_SECRET_KEY"));
    }

    fn uuid_nil() -> uuid::Uuid {
        uuid::Uuid::nil()
    }
}
