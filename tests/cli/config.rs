//! The console's configuration file through the real binary: `config
//! defaults` round-trips through `config check`; each rule's problem is
//! reported as FILE:LINE:COL: error[C0xx]; the console refuses to start on
//! a faulty file and points at --no-config.

use crate::common;
use std::path::Path;
use std::process::Output;

fn run(dir: &Path, args: &[&str]) -> Output {
    common::command()
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env_remove("CAREQUEUE_CONFIG")
        .args(args)
        .output()
        .expect("run carequeue")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_defaults_round_trip_through_check() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &["config", "defaults"]);
    assert!(out.status.success());
    let (defaults, _) = text(&out);
    assert_eq!(defaults, carequeue::config::DEFAULTS);
    for action in [
        "view_10 = [\"0\"]",
        "clear_line = [\"ctrl-u\"]",
        "theme = \"default\"",
    ] {
        assert!(defaults.contains(action), "{action} is in the defaults");
    }
    let file = dir.path().join("mine.toml");
    std::fs::write(&file, &defaults).expect("write");
    let out = run(
        dir.path(),
        &["config", "check", file.to_str().expect("path")],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("mine.toml: ok"), "{stdout}");

    // With no file at the usual place, check says the defaults apply.
    let out = run(dir.path(), &["config", "check"]);
    let (stdout, _) = text(&out);
    assert!(
        out.status.success() && stdout.contains("no such file"),
        "{stdout}"
    );
    // A file at the usual place is the one checked.
    let home = dir.path().join("xdg/carequeue");
    std::fs::create_dir_all(&home).expect("dir");
    std::fs::write(home.join("config.toml"), "theme = \"colorblind\"\n").expect("write");
    let out = run(dir.path(), &["config", "check"]);
    assert!(out.status.success() && text(&out).0.contains("config.toml: ok"));
}

/// One file per rule, the offending spot marked: the code and the place.
#[test]
fn every_rule_names_its_code_and_place() {
    let cases: &[(&str, &str, &str, &str)] = &[
        ("C001", "theme = \"default\"\nmouse = \n", "2:9", "syntax"),
        (
            "C002",
            "theme = \"default\"\ncolour = \"red\"\n",
            "2:1",
            "unknown setting `colour`",
        ),
        (
            "C002",
            "[keys.insert]\nup = [\"k\"]\n",
            "1:7",
            "unknown key mode `insert`",
        ),
        (
            "C003",
            "mouse = \"yes\"\n",
            "1:9",
            "`mouse` must be true or false",
        ),
        (
            "C003",
            "[keys.normal]\nmove = \"m\"\n",
            "2:8",
            "must be a list of strings",
        ),
        (
            "C004",
            "[keys.normal]\nfly = [\"f\"]\n",
            "2:1",
            "unknown action `fly`",
        ),
        (
            "C005",
            "[keys.normal]\nmove = [\"ctrl-shift-m\"]\n",
            "2:9",
            "`ctrl-shift-m` is not a key",
        ),
        (
            "C006",
            "[keys.normal]\nassign = [\"m\"]\n",
            "2:11",
            "`m` is bound to both `assign` and `move`",
        ),
        (
            "C006",
            "[keys.popup]\ncomplete = [\"esc\"]\n",
            "2:13",
            "`esc` is bound to both `complete` and `cancel`",
        ),
        (
            "C007",
            "theme = \"solarized\"\n",
            "1:9",
            "unknown theme `solarized`",
        ),
        (
            "C008",
            "columns = [\"id\", \"colour\"]\n",
            "1:18",
            "unknown column `colour`",
        ),
        (
            "C008",
            "columns = [\"patient\", \"id\"]\n",
            "1:11",
            "must start with \"id\"",
        ),
        (
            "C008",
            "columns = [\"id\", \"age\", \"age\"]\n",
            "1:25",
            "listed twice",
        ),
        (
            "C009",
            "[aliases]\nsort = \"sla:breached\"\n",
            "2:1",
            "shadow the command `:sort`",
        ),
        (
            "C009",
            "[aliases]\n\"my view\" = \"sla:breached\"\n",
            "2:1",
            "must be one word",
        ),
    ];
    let dir = tempfile::tempdir().expect("dir");
    for (code, body, at, says) in cases {
        let file = dir.path().join(format!("{code}.toml"));
        std::fs::write(&file, body).expect("write");
        let out = run(
            dir.path(),
            &["config", "check", file.to_str().expect("path")],
        );
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{code}: {stderr}");
        let want = format!("{code}.toml:{at}: error[{code}]");
        assert!(
            stderr.contains(&want),
            "{code}: want `{want}` in:\n{stderr}"
        );
        assert!(stderr.contains(says), "{code}: want `{says}` in:\n{stderr}");
        assert!(stderr.contains("error: "), "{stderr}");
    }
    // Rebinding an action frees its old keys; an empty list unbinds.
    let file = dir.path().join("ok.toml");
    std::fs::write(
        &file,
        "[keys.normal]\nmove = [\"M\"]\nassign = [\"m\"]\nack = []\n",
    )
    .expect("write");
    let out = run(
        dir.path(),
        &["config", "check", file.to_str().expect("path")],
    );
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn the_console_refuses_a_faulty_file_and_points_at_no_config() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &["demo", "--no-tui", "--records", "10"]);
    assert!(out.status.success(), "{}", text(&out).1);
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "theme = \"plaid\"\n").expect("write");
    let out = run(
        dir.path(),
        &[
            "--db",
            "demo.db",
            "--as",
            "kim",
            "--config",
            bad.to_str().expect("path"),
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("bad.toml:1:9: error[C007]"), "{stderr}");
    assert!(stderr.contains("--no-config"), "{stderr}");
    // A --config that does not exist is an error too (a typo is not the defaults).
    let out = run(
        dir.path(),
        &["--db", "demo.db", "--as", "kim", "--config", "nope.toml"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out)
            .1
            .contains("cannot read the configuration nope.toml")
    );
}
