//! Identity from the OS account, through the real binary run as throwaway
//! accounts (root would ignore the file modes these tests rely on):
//! `--as` and `USER` name nobody else, non-admins manage nothing, an
//! unlinked account reads nothing, a disabled user is refused, and a
//! database shared by an OS group is written by each member in turn.

use crate::common::accounts::{Team, can_make_accounts};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;

const DB: &str = "clinic.db";

/// Account 0 makes a group-shared database and is its admin; account 1
/// is linked to `bee` (ops); account 2 is in the group but linked to no
/// carequeue user.
fn clinic() -> Team {
    let t = Team::new(3);
    t.ok(0, &["--db", DB, "init", "--group", &t.group]);
    let b = t.name(1).to_string();
    t.ok(
        0,
        &[
            "--db", DB, "user", "add", "bee", "--role", "ops", "--login", &b,
        ],
    );
    t.ok(1, &["--db", DB, "add", "--patient", "Ada Quill"]);
    t
}

fn info_user(t: &Team, i: usize, env: &[(&str, &str)]) -> String {
    let out = t.run_env(i, env, &["--db", DB, "info", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["user"].as_str().expect("user").to_string()
}

#[test]
fn the_os_account_is_the_user_and_as_or_user_change_nothing() {
    if !can_make_accounts("the_os_account_is_the_user") {
        return;
    }
    let t = clinic();
    let admin = t.name(0).to_string();
    assert_eq!(info_user(&t, 0, &[]), admin, "init made the caller's user");
    assert_eq!(info_user(&t, 1, &[]), "bee", "the linked login");
    // The environment names nobody.
    assert_eq!(
        info_user(&t, 1, &[("USER", &admin), ("LOGNAME", &admin)]),
        "bee"
    );
    // --as and CAREQUEUE_USER may only name yourself.
    let err = t.refused(1, &[], &["--db", DB, "--as", &admin, "list"]);
    assert!(
        err.contains("not in trust mode") && err.contains("`bee`"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one error line: {err}");
    let err = t.refused(
        1,
        &[("CAREQUEUE_USER", &admin)],
        &["--db", DB, "user", "add", "eve", "--role", "supervisor"],
    );
    assert!(err.contains(&admin), "{err}");
    t.ok(1, &["--db", DB, "--as", "bee", "list"]);
    // A write as bee is bee's, whatever USER says.
    let out = t.run_env(1, &[("USER", &admin)], &["--db", DB, "note", "1", "called"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show = t.ok(0, &["--db", DB, "show", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&show).expect("json");
    let last = v["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history");
    assert_eq!(last["actor"], "bee");
}

#[test]
fn a_non_admin_cannot_manage_users_import_export_or_apply() {
    if !can_make_accounts("a_non_admin_cannot_manage") {
        return;
    }
    let t = clinic();
    let csv = t.dir.join("in.csv");
    std::fs::write(&csv, "patient\nBo Ray\n").expect("csv");
    std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let changed = t.dir.join("changed.toml");
    std::fs::write(
        &changed,
        carequeue::domain::DEFAULT_PIPELINE.replace("name = \"", "name = \"Changed "),
    )
    .expect("pipeline");
    std::fs::set_permissions(&changed, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let users_before = t.ok(0, &["--db", DB, "user", "list", "--json"]);
    for (args, needs) in [
        (vec!["user", "add", "eve", "--role", "ops"], "admin"),
        (vec!["user", "add", "bee", "--role", "supervisor"], "admin"),
        (vec!["user", "disable", "bee"], "admin"),
        (vec!["import", "in.csv"], "admin"),
        (vec!["export"], "supervisor"),
        (vec!["export", "--format", "json"], "supervisor"),
        (vec!["pipeline", "apply", "changed.toml"], "admin"),
    ] {
        let mut full = vec!["--db", DB];
        full.extend(args.iter().copied());
        let err = t.refused(1, &[], &full);
        assert!(err.contains(needs), "{args:?}: {err}");
    }
    assert_eq!(
        t.ok(0, &["--db", DB, "user", "list", "--json"]),
        users_before
    );
    let rows: serde_json::Value =
        serde_json::from_str(&t.ok(1, &["--db", DB, "list", "--json"])).expect("json");
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(1),
        "nothing was imported"
    );
    let history = t.ok(0, &["--db", DB, "pipeline", "history"]);
    assert_eq!(
        history.lines().filter(|l| l.contains("init")).count(),
        1,
        "{history}"
    );
    assert!(
        !history.contains("apply"),
        "no pipeline was applied: {history}"
    );
    // The refused export is in the access log.
    let log: serde_json::Value =
        serde_json::from_str(&t.ok(0, &["--db", DB, "access-log", "--user", "bee", "--json"]))
            .expect("json");
    assert!(
        log.as_array()
            .expect("rows")
            .iter()
            .any(|a| a["action"] == "export-refused"),
        "{log}"
    );
}

#[test]
fn an_unlinked_account_reads_nothing_and_sweeps_nothing() {
    if !can_make_accounts("an_unlinked_account_reads_nothing") {
        return;
    }
    let t = clinic();
    let events_before = t.ok(0, &["--db", DB, "checkpoint"]);
    for args in [
        vec!["list"],
        vec!["show", "1"],
        vec!["export"],
        vec!["audit"],
        vec!["access-log"],
        vec!["info"],
        vec!["verify"],
        vec!["pipeline"],
        vec!["user", "list"],
        vec!["--as", "bee", "list"],
        vec!["sweep"],
        vec!["--now", "2030-01-01T00:00:00Z", "sweep"],
        // The console: refused before the terminal is touched.
        vec![],
    ] {
        let mut full = vec!["--db", DB];
        full.extend(args.iter().copied());
        let err = t.refused(2, &[], &full);
        assert!(
            err.contains("is linked to no carequeue user") || err.contains("not in trust mode"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("Ada Quill"), "{err}");
    }
    // Nothing was written by any of it (the admin's checkpoint aside).
    let after = t.ok(0, &["--db", DB, "checkpoint"]);
    let count = |cp: &str| -> i64 {
        serde_json::from_str::<serde_json::Value>(cp).expect("json")["events"]
            .as_i64()
            .expect("events")
    };
    assert_eq!(count(&after), count(&events_before));
}

#[test]
fn a_disabled_user_is_refused_and_their_records_released() {
    if !can_make_accounts("a_disabled_user_is_refused") {
        return;
    }
    let t = clinic();
    t.ok(1, &["--db", DB, "claim", "1"]);
    let held: serde_json::Value =
        serde_json::from_str(&t.ok(0, &["--db", DB, "show", "1", "--json"])).expect("json");
    assert_eq!(held["owner"], "bee");
    let out = t.ok(0, &["--db", DB, "user", "disable", "bee"]);
    assert!(out.contains("1"), "the released count is reported: {out}");
    let err = t.refused(1, &[], &["--db", DB, "list"]);
    assert!(err.contains("disabled"), "{err}");
    t.refused(1, &[], &["--db", DB, "note", "1", "still here?"]);
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(0, &["--db", DB, "show", "1", "--json"])).expect("json");
    assert_eq!(v["owner"], serde_json::Value::Null, "{v}");
    let last = v["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history");
    assert_eq!(last["kind"], "release", "{last}");
    // History is kept: bee's earlier events still name bee, and it verifies.
    assert!(
        v["history"]
            .as_array()
            .expect("h")
            .iter()
            .any(|e| e["actor"] == "bee")
    );
    t.ok(0, &["--db", DB, "verify"]);
    // The last admin cannot be disabled.
    let admin = t.name(0).to_string();
    let err = t.refused(0, &[], &["--db", DB, "user", "disable", &admin]);
    assert!(err.contains("last enabled admin"), "{err}");
}

#[test]
fn a_group_shared_database_is_written_by_each_member_in_turn() {
    if !can_make_accounts("a_group_shared_database") {
        return;
    }
    let t = clinic();
    let db = t.dir.join(DB);
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("meta");
    assert_eq!(
        mode(&db).mode() & 0o777,
        0o660,
        "group read-write, no others"
    );
    assert_eq!(mode(&db).gid(), t.gid);
    // Each member in turn, each after the other's process has closed it.
    t.ok(0, &["--db", DB, "add", "--patient", "Cy Dorn"]);
    t.ok(1, &["--db", DB, "add", "--patient", "Di Eng"]);
    t.ok(0, &["--db", DB, "note", "3", "seen"]);
    t.ok(1, &["--db", DB, "list"]);
    // Whatever side files a member's process left are the group's too.
    for entry in std::fs::read_dir(&t.dir).expect("dir") {
        let p = entry.expect("entry").path();
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(DB))
        {
            assert_eq!(mode(&p).gid(), t.gid, "{}", p.display());
            assert_eq!(
                mode(&p).mode() & 0o007,
                0,
                "{} is not for others",
                p.display()
            );
        }
    }
    // Reading never resets the mode.
    assert_eq!(mode(&db).mode() & 0o777, 0o660);
    t.ok(0, &["--db", DB, "verify"]);
    // init --group refuses a folder that is not the group's setgid folder.
    let plain = t.dir.join("plain");
    std::fs::create_dir(&plain).expect("mkdir");
    std::os::unix::fs::chown(&plain, Some(t.accounts[0].uid), Some(t.gid)).expect("chown");
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o770)).expect("chmod");
    let err = t.refused(0, &[], &["--db", "plain/x.db", "init", "--group", &t.group]);
    assert!(err.contains("setgid"), "{err}");
    assert!(!plain.join("x.db").exists(), "nothing half-made");
    // A read that cannot be logged is refused: the file made read-only for
    // the group, so bee can read it but not append to the access log.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let err = t.refused(1, &[], &["--db", DB, "show", "1"]);
    assert!(
        err.contains("could not be logged")
            || err.contains("read-only")
            || err.contains("readonly"),
        "{err}"
    );
    assert!(!err.contains("Ada Quill"), "{err}");
}

/// What the docs say a group-shared SQLite file trusts its members with,
/// tried as a member would: `init --group` says so; any member reads
/// (and could change) the whole file with `sqlite3`, beside carequeue;
/// but no member can delete the database another made, or a folder it
/// lives in (the folder is sticky), and a folder that is not sticky is
/// made so by its owner's `init --group` or refused.
#[test]
fn a_group_member_is_trusted_with_the_file_but_cannot_delete_it() {
    if !can_make_accounts("a_group_member_is_trusted_with_the_file") {
        return;
    }
    let t = Team::new(3);
    let out = t.run(0, &["--db", DB, "init", "--group", &t.group]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("every member of the group can read and change this file")
            && said.contains("PostgreSQL"),
        "init --group says plainly whom it trusts: {said}"
    );
    let b = t.name(1).to_string();
    t.ok(
        0,
        &[
            "--db", DB, "user", "add", "bee", "--role", "ops", "--login", &b,
        ],
    );
    t.ok(1, &["--db", DB, "add", "--patient", "Ada Quill"]);
    let as_member = |i: usize, prog: &str, args: &[&str]| {
        std::process::Command::new(prog)
            .args(args)
            .current_dir(&t.dir)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .uid(t.accounts[i].uid)
            .gid(t.gid)
            .output()
            .expect("run")
    };
    // Account 2 is in the group and linked to no carequeue user: carequeue
    // refuses it, sqlite3 does not (as the docs say).
    let err = t.refused(2, &[], &["--db", DB, "list"]);
    assert!(err.contains("linked to no carequeue user"), "{err}");
    let out = as_member(2, "sqlite3", &[DB, "SELECT patient FROM records"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Ada Quill");
    // No member deletes or replaces the database another made.
    for i in [1, 2] {
        let out = as_member(i, "rm", &["-f", DB]);
        assert!(!out.status.success(), "account {i} removed the database");
        let out = as_member(i, "mv", &[DB, "moved.db"]);
        assert!(!out.status.success(), "account {i} moved the database");
    }
    assert!(t.dir.join(DB).exists());
    let dir = std::fs::metadata(&t.dir).expect("meta");
    assert_eq!(dir.mode() & 0o3000, 0o3000, "setgid and sticky");
    // A group folder that is not sticky: its owner's init makes it so.
    let own = t.dir.join("own");
    std::fs::create_dir(&own).expect("mkdir");
    std::os::unix::fs::chown(&own, Some(t.accounts[0].uid), Some(t.gid)).expect("chown");
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o2770)).expect("chmod");
    t.ok(0, &["--db", "own/x.db", "init", "--group", &t.group]);
    assert_eq!(
        std::fs::metadata(&own).expect("meta").mode() & 0o1000,
        0o1000,
        "made sticky"
    );
    // One the member does not own: refused, with the fix.
    let theirs = t.dir.join("theirs");
    std::fs::create_dir(&theirs).expect("mkdir");
    std::os::unix::fs::chown(&theirs, Some(t.accounts[1].uid), Some(t.gid)).expect("chown");
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o2770)).expect("chmod");
    let err = t.refused(
        0,
        &[],
        &["--db", "theirs/x.db", "init", "--group", &t.group],
    );
    assert!(
        err.contains("sticky") && err.contains("chmod 3770"),
        "{err}"
    );
    assert!(!theirs.join("x.db").exists(), "nothing half-made");
}
