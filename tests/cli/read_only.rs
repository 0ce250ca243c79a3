//! Reads do not write, through the real binary: a SQLite file that is not a
//! carequeue database is refused by `list`, `show` and the console (never
//! migrated), a refused `demo` leaves the file it would have replaced byte
//! for byte, and a database that is read-only for its reader (mode 0400,
//! run as a throwaway non-root account, since root ignores modes) serves
//! reads while a write says why it is refused (a group member who may only
//! read a shared database is refused reads, which could not be logged:
//! tests/accounts.rs). A folder the account may not
//! write is named when a database or an export cannot be created in it.

use crate::common;
use crate::common::Cq;
use crate::common::accounts::{Team, can_make_accounts};
use rusqlite::Connection;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const NOW: &str = "2026-11-26T15:00:00Z";

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).expect("read file")
}

/// The binary with `--db DB` and `args`, no pipeline, in `dir`.
fn run(dir: &Path, db: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = common::command();
    cmd.current_dir(dir)
        .arg("--db")
        .arg(db)
        .args(["--as", "nobody", "--now", NOW])
        .args(args)
        .output()
        .expect("run carequeue")
}

#[track_caller]
fn refused(dir: &Path, db: &Path, args: &[&str]) -> String {
    let out = run(dir, db, args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    err
}

#[test]
fn a_foreign_sqlite_file_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("other.db");
    {
        let c = Connection::open(&db).expect("sqlite");
        c.execute_batch(
            "CREATE TABLE patients (name TEXT); INSERT INTO patients VALUES ('Someone');",
        )
        .expect("schema");
    }
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").expect("empty file");
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"not a database at all\n").expect("text file");
    for file in [&db, &empty, &text] {
        let before = bytes(file);
        // `[]` is the console: refused before any terminal is touched.
        for args in [&["list"][..], &["show", "1"], &[], &["list", "--json"]] {
            let err = refused(dir.path(), file, args);
            assert!(
                err.contains(&file.display().to_string())
                    && err.contains("not a carequeue database"),
                "{args:?}: {err}"
            );
        }
        assert_eq!(
            bytes(file),
            before,
            "{} is byte for byte as it was",
            file.display()
        );
    }
    let c = Connection::open(&db).expect("sqlite");
    let tables: i64 = c
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tables, 1, "no table was added");
}

#[test]
fn an_older_carequeue_database_is_not_migrated_by_a_read() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("old.db");
    {
        // The shape of schema step 1's first table, and its version.
        let c = Connection::open(&db).expect("sqlite");
        c.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             PRAGMA user_version = 1;",
        )
        .expect("schema");
    }
    let before = bytes(&db);
    for args in [&["list"][..], &["show", "1"], &[], &["note", "1", "x"]] {
        let err = refused(dir.path(), &db, args);
        assert!(
            err.contains("made by an older carequeue (schema step 1")
                && err.contains("pipeline adopt"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(bytes(&db), before, "no step was applied");
}

#[test]
fn a_refused_demo_leaves_the_existing_file_byte_for_byte() {
    let dir = tempfile::tempdir().expect("dir");
    let other = dir.path().join("other.db");
    {
        let c = Connection::open(&other).expect("sqlite");
        c.execute_batch("PRAGMA user_version = 7; CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .expect("schema");
    }
    // A real carequeue database with work in it, not a demo.
    let cq = Cq::init_default(NOW);
    cq.add("nobody", NOW, "Kept Patient", &[]);
    for file in [&other, &cq.db] {
        let before = bytes(file);
        let err = refused(dir.path(), file, &["demo", "--no-tui", "--records", "5"]);
        assert!(err.contains("is not a demo database"), "{err}");
        assert_eq!(bytes(file), before, "{} untouched", file.display());
    }
}

/// One account with a database of its own (in the shared folder) holding
/// one record, then made read-only (0400).
fn read_only_db() -> Team {
    let t = Team::new(1);
    t.ok(0, &["--db", "ro.db", "init"]);
    t.ok(0, &["--db", "ro.db", "add", "--patient", "Read Only"]);
    let db = t.dir.join("ro.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o400)).expect("chmod 0400");
    t
}

#[test]
fn a_0400_database_serves_reads_and_refuses_writes_with_the_reason() {
    if !can_make_accounts("a_0400_database_serves_reads") {
        return;
    }
    let t = read_only_db();
    let db = t.dir.join("ro.db");
    let before = bytes(&db);
    let out = t.run(0, &["--db", "ro.db", "list", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "list on a 0400 database: {err}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows[0]["patient"], "Read Only");
    assert!(err.contains("read-only for you"), "reads say so: {err}");
    let shown = t.ok(0, &["--db", "ro.db", "show", "1"]);
    assert!(shown.contains("Read Only"), "{shown}");
    for args in [
        &["--db", "ro.db", "note", "1", "a note"][..],
        &["--db", "ro.db", "add", "--patient", "New One"],
        &["--db", "ro.db", "claim", "1"],
    ] {
        let err = t.refused(0, &[], args);
        assert!(
            err.contains("ro.db is read-only for you")
                && err.contains(&format!("`{}` refused", args[2])),
            "{args:?}: {err}"
        );
    }
    assert_eq!(bytes(&db), before, "nothing was written");
    let mode = std::fs::metadata(&db).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o400, "its mode was not changed");
}

#[test]
fn a_folder_that_is_not_writable_is_named() {
    if !can_make_accounts("a_folder_that_is_not_writable_is_named") {
        return;
    }
    let t = Team::new(1);
    t.ok(0, &["--db", "ok.db", "init"]);
    let ro = t.dir.join("ro");
    std::fs::create_dir(&ro).expect("mkdir");
    std::os::unix::fs::chown(&ro, Some(t.accounts[0].uid), None).expect("chown");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let err = t.refused(0, &[], &["--db", "ro/new.db", "init"]);
    assert!(
        err.contains("ro/new.db") && err.contains("folder ro is not writable"),
        "{err}"
    );
    assert!(!ro.join("new.db").exists());
    let err = t.refused(
        0,
        &[],
        &["--db", "ok.db", "export", "--output", "ro/out.csv"],
    );
    assert!(
        err.contains("ro/out.csv") && err.contains("folder ro is not writable"),
        "{err}"
    );
}

/// A bind mount made read-only, undone when dropped.
struct ReadOnlyMount(std::path::PathBuf);

impl ReadOnlyMount {
    fn of(src: &Path, dst: &Path) -> ReadOnlyMount {
        let mount = |args: &[&str]| {
            let ok = std::process::Command::new("mount")
                .args(args)
                .status()
                .expect("mount")
                .success();
            assert!(ok, "mount {args:?}");
        };
        let (src, dst) = (src.to_string_lossy(), dst.to_string_lossy());
        mount(&["--bind", &src, &dst]);
        let m = ReadOnlyMount(std::path::PathBuf::from(dst.as_ref()));
        mount(&["-o", "remount,bind,ro", &dst]);
        m
    }
}

impl Drop for ReadOnlyMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// A cleanly closed database on a read-only mount (a backup, a snapshot),
/// read by its owner: reads work and say they cannot be logged, writes say
/// why they are refused, and the file is untouched. (SQLite alone fails to
/// open it, error 14: it cannot make the WAL's shared-memory file there.)
#[test]
fn a_database_on_a_read_only_mount_serves_reads_and_refuses_writes() {
    // Mounting needs root.
    if !can_make_accounts("a_database_on_a_read_only_mount") {
        return;
    }
    let cq = Cq::init_default(NOW);
    let id = cq.add("nobody", NOW, "Mounted Patient", &[]);
    let before = bytes(&cq.db);
    let ro = tempfile::tempdir().expect("mount point");
    let _mount = ReadOnlyMount::of(cq.dir.path(), ro.path());
    let db = ro.path().join("care.db");
    assert!(
        std::fs::write(ro.path().join("probe"), b"x").is_err(),
        "the mount is read-only"
    );

    let out = run(ro.path(), &db, &["list", "--json"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "list on a read-only mount: {err}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows[0]["patient"], "Mounted Patient");
    assert!(err.contains("read-only for you"), "reads say so: {err}");
    let out = run(ro.path(), &db, &["show", &id.to_string()]);
    assert!(
        out.status.success(),
        "show: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Mounted Patient"));
    let err = refused(ro.path(), &db, &["add", "--patient", "New One"]);
    assert!(
        err.contains("read-only for you") && err.contains("`add` refused"),
        "{err}"
    );
    assert_eq!(bytes(&db), before, "nothing was written");
}
