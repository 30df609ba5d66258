//! The development transport: every email becomes an `.eml` file in a
//! folder, where a developer opens it instead of running a mail server.
//! The files carry live sign-in links, so the folder and files are the
//! owner's alone.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lettre::Address;
use portal_domain::model::EmailAddress;
use portal_domain::ports::{Email, MailError, Mailer};
use tokio::io::AsyncWriteExt;

use crate::ConfigError;
use crate::message::{MessageError, address, build_message};

/// Why an email could not be written.
#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error("the system has no randomness for a file name")]
    Random(#[source] getrandom::Error),
    #[error("could not write {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Writes each email as an RFC 5322 message (`.eml`) into a folder,
/// creating the folder when missing. File names sort by the time of
/// writing: `20261125T101530.123456Z-1a2b3c4d.eml` (UTC, microseconds, a
/// random suffix). Each file appears whole or not at all: it is written
/// under a hidden temporary name and then renamed. On Unix the folder is
/// created `0700` and each file `0600`: the messages hold working links.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
    from: Address,
}

impl FileMailer {
    /// A mailer writing into `dir`, sending as `from`.
    ///
    /// # Errors
    /// When `from` is not usable as a sender.
    pub fn new(dir: impl Into<PathBuf>, from: &EmailAddress) -> Result<Self, ConfigError> {
        let from = address(from).map_err(ConfigError::Sender)?;
        Ok(Self {
            dir: dir.into(),
            from,
        })
    }

    /// The folder the messages go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn write(&self, email: &Email) -> Result<PathBuf, WriteError> {
        let bytes = build_message(&self.from, email)?.formatted();
        let io_error = |path: &Path| {
            let path = path.to_owned();
            move |source| WriteError::Io { path, source }
        };
        create_private_dir(&self.dir)
            .await
            .map_err(io_error(&self.dir))?;
        let name = file_name(SystemTime::now())?;
        let path = self.dir.join(&name);
        let temporary = self.dir.join(format!(".{name}.tmp"));
        if let Err(error) = write_new(&temporary, &bytes).await {
            // Best effort: the write already failed, and that is what to report.
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(io_error(&temporary)(error));
        }
        tokio::fs::rename(&temporary, &path)
            .await
            .map_err(io_error(&path))?;
        Ok(path)
    }
}

/// Creates `dir` and any missing parents, readable by the owner only.
/// A folder that already exists is left as it is.
async fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(dir).await
}

/// Creates `path` (which must not exist yet) with `bytes`, flushed to
/// disk, readable and writable by the owner only.
async fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await
}

/// `<UTC time to the microsecond>-<8 random hex digits>.eml`.
fn file_name(at: SystemTime) -> Result<String, WriteError> {
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(WriteError::Random)?;
    let at = DateTime::<Utc>::from(at).format("%Y%m%dT%H%M%S%.6fZ");
    Ok(format!("{at}-{:08x}.eml", u32::from_be_bytes(random)))
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let path = self
            .write(email)
            .await
            .map_err(|e| MailError(Box::new(e)))?;
        // Never the body: it holds a sign-in link.
        tracing::info!(
            path = %path.display(),
            to = %email.to,
            subject = %email.subject,
            "email written to file"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use portal_test_support::CapturedMail;

    use super::*;

    /// A fresh folder under the system's temporary directory, removed with
    /// its contents on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static COUNTER: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "portal-mail-test-{}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                file_name(SystemTime::now()).unwrap()
            );
            Self(std::env::temp_dir().join(name))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            if std::fs::remove_dir_all(&self.0).is_err() {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    fn email(subject: &str) -> Email {
        Email {
            to: EmailAddress::parse("to", "ap@acme.example").unwrap(),
            to_name: "Zoë Payable".to_owned(),
            from_name: "Acme Ltd".to_owned(),
            subject: subject.to_owned(),
            text: format!("Sign in: https://portal.example/l/{}\n", "x".repeat(120)),
            html: String::new(),
            attachments: Vec::new(),
            message_key: None,
        }
    }

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn file_names_sort_by_time() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_micros(1_795_000_000_123_456);
        let name = file_name(at).unwrap();
        assert!(name.starts_with("20261118T110640.123456Z-"), "{name}");
        let (stamp, suffix) = name.split_once('-').unwrap();
        assert!(stamp.ends_with(".123456Z"), "{name}");
        assert_eq!(suffix.len(), "1a2b3c4d.eml".len());
        let later = file_name(at + Duration::from_micros(1)).unwrap();
        assert!(later > name);
    }

    #[tokio::test]
    async fn writes_parseable_messages_into_a_new_folder() {
        let temp = TempDir::new();
        let dir = temp.0.join("outbox");
        let from = EmailAddress::parse("from", "billing@portal.example").unwrap();
        let mailer = FileMailer::new(&dir, &from).unwrap();
        assert_eq!(mailer.dir(), dir);

        mailer.send(&email("First ✓")).await.unwrap();
        mailer.send(&email("Second")).await.unwrap();

        let files = eml_files(&dir);
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(
            files
                .iter()
                .all(|f| f.extension().is_some_and(|e| e == "eml"))
        );
        let mails: Vec<CapturedMail> = files
            .iter()
            .map(|f| CapturedMail::from_raw(std::fs::read_to_string(f).unwrap()))
            .collect();
        assert_eq!(mails[0].subject().as_deref(), Some("First ✓"));
        assert_eq!(mails[1].subject().as_deref(), Some("Second"));
        let link = format!("https://portal.example/l/{}", "x".repeat(120));
        assert_eq!(mails[0].links(), [link]);
        assert_eq!(
            mails[0].decoded_header("To").as_deref(),
            Some("Zoë Payable <ap@acme.example>")
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_folder_and_files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;

        let temp = TempDir::new();
        let dir = temp.0.join("nested").join("outbox");
        let from = EmailAddress::parse("from", "billing@portal.example").unwrap();
        let mailer = FileMailer::new(&dir, &from).unwrap();
        mailer.send(&email("Private")).await.unwrap();

        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&temp.0.join("nested")), 0o700);
        let files = eml_files(&dir);
        assert_eq!(files.len(), 1);
        assert_eq!(mode(&files[0]), 0o600);
    }

    #[tokio::test]
    async fn an_unwritable_folder_is_a_mail_error() {
        let temp = TempDir::new();
        std::fs::write(&temp.0, b"a file, not a folder").unwrap();
        let from = EmailAddress::parse("from", "billing@portal.example").unwrap();
        let mailer = FileMailer::new(temp.0.join("outbox"), &from).unwrap();
        let error = mailer.send(&email("Lost")).await.unwrap_err();
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(source.contains("could not write"), "{source}");
    }
}
