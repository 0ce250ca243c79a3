//! Pipes and files, through the real binary: a reader that closes the pipe
//! early ends the command quietly (exit 0, nothing on stderr), and
//! `export --output FILE` makes a new 0600 file, refusing an existing file
//! and a symbolic link without touching either.

use crate::common;
use crate::common::Cq;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

const NOW: &str = "2026-11-26T15:00:00Z";

/// A database with `n` records whose names are long enough that `list`
/// and `export` write far more than a pipe holds (64 KiB).
fn big(n: usize) -> Cq {
    Cq::with_records(NOW, n, 900)
}

fn command(cq: &Cq, args: &[&str]) -> Command {
    let mut cmd = common::command();
    cmd.current_dir(cq.dir.path())
        .arg("--db")
        .arg(&cq.db)
        .arg("--as")
        .arg("sup")
        .arg("--now")
        .arg(NOW)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `args`, reads `lines` lines of stdout (0: none at all) and closes
/// the pipe; returns the exit code and stderr.
fn read_then_close(cq: &Cq, args: &[&str], lines: usize) -> (Option<i32>, String) {
    let mut child = command(cq, args).spawn().expect("spawn carequeue");
    let stdout = child.stdout.take().expect("stdout");
    if lines > 0 {
        let mut r = BufReader::new(stdout);
        for _ in 0..lines {
            let mut line = String::new();
            r.read_line(&mut line).expect("read a line");
            assert!(!line.is_empty(), "`{}` printed a line", args.join(" "));
        }
        drop(r);
    } else {
        drop(stdout);
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    let cq = big(300);
    let streamed: &[&[&str]] = &[
        &["list"],
        &["list", "--json"],
        &["export"],
        &["export", "--format", "json"],
    ];
    for args in streamed {
        // `carequeue list | head -1`: one line read, then the pipe closed
        // while far more is still to come.
        let (code, err) = read_then_close(&cq, args, 1);
        assert_eq!(code, Some(0), "`{}`: {err}", args.join(" "));
        assert!(err.is_empty(), "`{}` is quiet: {err}", args.join(" "));
    }
    // The pipe closed before anything is written: every command that
    // prints data meets it on its first write.
    let every: &[&[&str]] = &[
        &["list"],
        &["list", "--json"],
        &["show", "1"],
        &["show", "1", "--json"],
        &["export"],
        &["pipeline"],
        &["pipeline", "--json"],
        &["audit"],
        &["user", "list"],
        &["info"],
        &["access-log"],
        &["verify"],
    ];
    for args in every {
        let (code, err) = read_then_close(&cq, args, 0);
        assert_eq!(code, Some(0), "`{}`: {err}", args.join(" "));
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "`{}`: {err}",
            args.join(" ")
        );
        assert!(err.is_empty(), "`{}` is quiet: {err}", args.join(" "));
    }
}

#[test]
fn export_output_makes_a_new_private_file() {
    let cq = big(3);
    let stdout = cq.ok("sup", NOW, &["export"]);
    let out = cq.dir.path().join("out.csv");
    let printed = cq.ok("sup", NOW, &["export", "--output", "out.csv"]);
    assert!(printed.is_empty(), "the rows go to the file: {printed}");
    assert_eq!(std::fs::read_to_string(&out).expect("out.csv"), stdout);
    let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    let json = cq.dir.path().join("out.json");
    cq.ok(
        "sup",
        NOW,
        &["export", "--format", "json", "--output", "out.json"],
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("valid json");
    assert_eq!(v.as_array().map(Vec::len), Some(3));
}

#[test]
fn export_output_refuses_an_existing_file_and_leaves_it() {
    let cq = big(2);
    let path = cq.dir.path().join("keep.csv");
    std::fs::write(&path, "precious\n").expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = cq.fail("sup", NOW, &["export", "--output", "keep.csv"]);
    assert!(
        err.contains("keep.csv") && err.contains("already exists"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "precious\n");
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o644, "its mode untouched too");
}

#[test]
fn export_output_never_follows_a_symbolic_link() {
    let cq = big(2);
    let target = cq.dir.path().join("target.txt");
    std::fs::write(&target, "the target\n").expect("write");
    let link = cq.dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let err = cq.fail("sup", NOW, &["export", "--output", "link.csv"]);
    assert!(
        err.contains("link.csv") && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "the target\n"
    );
    // A dangling link: its target is not created either.
    let nowhere = cq.dir.path().join("nowhere.csv");
    let dangling = cq.dir.path().join("dangling.csv");
    std::os::unix::fs::symlink(&nowhere, &dangling).expect("symlink");
    let err = cq.fail("sup", NOW, &["export", "--output", "dangling.csv"]);
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!nowhere.exists(), "the link's target was created");
}

#[test]
fn a_refused_export_creates_no_file() {
    let cq = big(2);
    cq.ok("nobody", NOW, &["user", "add", "ann", "--role", "ops"]);
    let err = cq.fail("ann", NOW, &["export", "--output", "no.csv"]);
    assert!(err.contains("export of patient data needs"), "{err}");
    assert!(!cq.dir.path().join("no.csv").exists());
}
