//! The `portal-server` binary's own commands, run as a person would.

use std::process::Command;

use serde_json::Value;

fn temp_db() -> std::path::PathBuf {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).unwrap();
    std::env::temp_dir().join(format!(
        "portal-cli-test-{:016x}.db",
        u64::from_le_bytes(random)
    ))
}

fn portal_server(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .args(args)
        .env("PORTAL_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env(
            "PORTAL_MAIL_DIR",
            std::env::temp_dir().join("portal-cli-test-mail"),
        )
        .env_remove("PORTAL_SMTP_URL")
        .env(
            "PORTAL_SECRET_KEY_FILE",
            std::env::temp_dir().join(format!("portal-cli-test-{}.key", std::process::id())),
        )
        .output()
        .expect("run portal-server")
}

#[test]
fn accounts_create_prints_the_key_once_and_stores_only_its_hash() {
    let db = temp_db();
    let output = portal_server(&db, &["accounts", "create", "--name", "Northwind Studio"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    let key = printed["api_key"].as_str().unwrap();
    assert!(key.starts_with("psk_"));
    assert_eq!(printed["name"], "Northwind Studio");
    assert_eq!(printed["account_id"].as_str().unwrap().len(), 36);
    assert!(String::from_utf8_lossy(&output.stderr).contains("not shown again"));

    let bytes = std::fs::read(&db).unwrap_or_default();
    let wal = std::fs::read(format!("{}-wal", db.display())).unwrap_or_default();
    let stored = [bytes, wal].concat();
    assert!(
        !stored.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key itself is not stored"
    );

    let second = portal_server(&db, &["accounts", "create", "--name", "Other"]);
    let other: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_ne!(other["api_key"], printed["api_key"]);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn bad_input_on_the_command_line_is_explained() {
    let db = temp_db();
    let blank = portal_server(&db, &["accounts", "create", "--name", "   "]);
    assert!(!blank.status.success());
    assert!(String::from_utf8_lossy(&blank.stderr).contains("--name: must not be empty"));
    let unknown = portal_server(&db, &["frobnicate"]);
    assert!(!unknown.status.success());
    let bad_url = Command::new(env!("CARGO_BIN_EXE_portal-server"))
        .arg("migrate")
        .env("PORTAL_DATABASE_URL", "mysql://nope/db")
        .output()
        .unwrap();
    assert!(!bad_url.status.success());
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("PORTAL_DATABASE_URL"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

#[test]
fn secret_key_prints_a_fresh_key_each_time() {
    let db = temp_db();
    let first = portal_server(&db, &["secret-key"]);
    let second = portal_server(&db, &["secret-key"]);
    assert!(first.status.success());
    let (first, second) = (
        String::from_utf8(first.stdout).unwrap(),
        String::from_utf8(second.stdout).unwrap(),
    );
    assert_eq!(first.trim().len(), 43);
    assert!(portal_domain::ServerKey::parse(first.trim()).is_some());
    assert_ne!(first, second);
    assert!(!db.exists(), "printing a key touches no database");
}

#[test]
fn a_process_with_another_server_key_refuses_to_start() {
    let db = temp_db();
    let run = |key: &str| {
        Command::new(env!("CARGO_BIN_EXE_portal-server"))
            .args(["accounts", "create", "--name", "Northwind Studio"])
            .env("PORTAL_DATABASE_URL", format!("sqlite://{}", db.display()))
            .env_remove("PORTAL_SMTP_URL")
            .env("PORTAL_SECRET_KEY", key)
            .output()
            .expect("run portal-server")
    };
    let first = String::from_utf8(portal_server(&db, &["secret-key"]).stdout).unwrap();
    let second = String::from_utf8(portal_server(&db, &["secret-key"]).stdout).unwrap();
    assert!(run(first.trim()).status.success());
    let refused = run(second.trim());
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("another server key"), "{said}");
    assert!(!said.contains(second.trim()), "the key is never printed");
    assert!(
        run(first.trim()).status.success(),
        "the first key still works"
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}
