//! Hostile text as patient names, notes and field values.
//!
//! Through the real binary, each string of the corpus is either stored
//! exactly (`show --json` gives back the same string) or refused clearly
//! (exit 1, one `error:` line, which does not echo the patient data). Text
//! the OS cannot pass as an argument (NUL, a 1 MB string) is refused before
//! carequeue runs; the library refuses the 1 MB name itself. Invalid UTF-8
//! in an argument or a CSV cell is a clear error, never a panic.
//!
//! On screen, the console (App + Service + ui::draw on a TestBackend) with a
//! hostile record selected and the detail pane open shows no ESC, no other
//! control character and no bidi override in any cell.

use crate::common;
use crate::common::{BIN, Cq};
use carequeue::app::service::{Service, pump};
use carequeue::app::{App, WINDOW};
use carequeue::domain::{self, DEFAULT_PIPELINE};
use carequeue::engine::FixedClock;
use carequeue::keys::Action;
use carequeue::ops::{self, ChangeOpts, MAX_TEXT, OpError};
use carequeue::store::Store;
use carequeue::ui::{self, theme::Theme};
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

const NOW: &str = "2026-03-02T14:00:00Z";

/// The corpus. None has leading or trailing whitespace (notes are trimmed).
fn corpus() -> Vec<String> {
    let mut v: Vec<String> = [
        "Robert'); DROP TABLE records;--",
        "' OR '1'='1",
        "\"quoted\" 'single' `back`",
        "\u{1b}[31mred\u{1b}[0m",
        "\u{1b}]0;pwned title\u{7}",
        "\u{1b}[2J\u{1b}[Hcleared",
        "\u{1b}P+q\u{1b}\\dcs",
        "abc\u{202E}fdp.exe",
        "\u{2066}isolate\u{2069}\u{200F}rtl\u{200E}",
        "zero\u{200D}width\u{200B}joiner\u{FEFF}bom",
        "👩\u{200D}⚕️ 🩺💊 🇺🇸",
        "Zoë Ångström Z̷̢a̸l̴g̵o̶",
        "line1\nline2\r\nline3",
        "tab\there",
        "c1\u{85}next\u{9b}31mcsi",
        "bell\u{7}back\u{8}del\u{7f}",
        "%s %n {} {{}} $(rm -rf /) ${HOME}",
        "<script>alert(1)</script>",
        "C:\\path\\to\\x00",
        "مريض עברית 病人",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Exactly at the limit: accepted.
    v.push("é".repeat(MAX_TEXT / 2));
    v
}

fn run_os(cq: &Cq, args: &[&std::ffi::OsStr]) -> std::io::Result<std::process::Output> {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("CAREQUEUE_") {
            cmd.env_remove(k);
        }
    }
    cmd.current_dir(cq.dir.path())
        .arg("--db")
        .arg(&cq.db)
        .arg("--pipeline")
        .arg(&cq.pipeline)
        .arg("--as")
        .arg("ann")
        .arg("--now")
        .arg(NOW)
        .args(args)
        .output()
}

fn setup() -> Cq {
    let cq = Cq::init_default(NOW);
    cq.ok("nobody", NOW, &["user", "add", "ann", "--role", "ops"]);
    cq
}

/// A refusal that names no patient data.
#[track_caller]
fn refused_without_echo(cq: &Cq, args: &[&str], secret: &str) -> String {
    let err = cq.fail("ann", NOW, args);
    if secret.chars().count() >= 8 {
        assert!(
            !err.contains(secret),
            "the error echoes the patient data: {err}"
        );
    }
    err
}

#[test]
fn hostile_names_notes_and_fields_are_stored_exactly() {
    let cq = setup();
    for s in corpus() {
        let field = format!("phone={s}");
        let out = cq.run("ann", NOW, &["add", "--patient", &s, "--field", &field]);
        assert!(
            out.status.success(),
            "{s:?} is within the limits and must be stored: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id: i64 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .expect("add prints the id alone");
        let sid = id.to_string();
        cq.ok("ann", NOW, &["note", &sid, &s]);
        cq.ok("ann", NOW, &["move", &sid, "start_review", "--note", &s]);
        let rec = cq.show("ann", NOW, id);
        assert_eq!(rec["patient"], s.as_str(), "patient name round-trips");
        assert_eq!(
            rec["fields"]["phone"],
            s.as_str(),
            "field value round-trips"
        );
        let hist = rec["history"].as_array().unwrap();
        assert_eq!(hist.len(), 3);
        assert_eq!(hist[1]["note"], s.as_str(), "note round-trips");
        assert_eq!(hist[2]["note"], s.as_str(), "move note round-trips");
        // The list (JSON) carries it exactly too.
        let rows = cq.list("ann", NOW, &[]);
        assert!(
            rows.iter()
                .any(|r| r["id"] == id && r["patient"] == s.as_str())
        );
        // People's output (show, list) never prints raw escapes or bidi controls.
        for args in [vec!["show", sid.as_str()], vec!["list"]] {
            let text = cq.ok("ann", NOW, &args);
            assert_no_controls(&text, &format!("`{}`", args.join(" ")), true);
        }
        // Hostile input where a code is expected: refused, one clear line.
        refused_without_echo(&cq, &["substatus", &sid, &s], "");
        refused_without_echo(&cq, &["ack", &sid, "--reason", &s], "");
    }
    // Someone else's export of the whole table still works with all of that in it.
    let rows = cq.list("ann", NOW, &[]);
    assert_eq!(rows.len(), corpus().len());
}

#[test]
fn over_long_or_empty_text_is_refused_clearly() {
    let cq = setup();
    // 4097 bytes and 100 KB (as large as one argument may be on Linux).
    for len in [MAX_TEXT + 1, 100 * 1024] {
        let big = "x".repeat(len);
        let err = refused_without_echo(&cq, &["add", "--patient", &big], &big);
        assert!(err.contains("4096"), "{err}");
        let field = format!("phone={big}");
        let err = refused_without_echo(&cq, &["add", "--patient", "P", "--field", &field], &big);
        assert!(err.contains("4096"), "{err}");
    }
    let id = cq.add("ann", NOW, "P", &[]).to_string();
    let big = "y".repeat(MAX_TEXT + 1);
    refused_without_echo(&cq, &["note", &id, &big], &big);
    refused_without_echo(&cq, &["move", &id, "start_review", "--note", &big], &big);
    for blank in ["", "   ", "\t\n"] {
        cq.fail("ann", NOW, &["add", "--patient", blank]);
        cq.fail("ann", NOW, &["note", &id, blank]);
    }
    // Nothing of that was stored.
    assert_eq!(cq.show("ann", NOW, id.parse().unwrap())["version"], 1);
    assert_eq!(cq.list("ann", NOW, &[]).len(), 1);
}

#[test]
fn text_the_os_cannot_pass_never_reaches_carequeue() {
    let cq = setup();
    // NUL cannot be in an argument at all.
    let nul = std::ffi::OsString::from("a\0b");
    let e = run_os(
        &cq,
        &["add".as_ref(), "--patient".as_ref(), nul.as_os_str()],
    )
    .expect_err("an argument with NUL cannot be passed");
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    // Nor can a 1 MB argument (Linux: at most 128 KiB per argument).
    let huge = std::ffi::OsString::from("x".repeat(1 << 20));
    if let Ok(out) = run_os(
        &cq,
        &["add".as_ref(), "--patient".as_ref(), huge.as_os_str()],
    ) {
        // Some other OS let it through: then carequeue must refuse it.
        assert_eq!(out.status.code(), Some(1));
    }
    // The library refuses a 1 MB name and a NUL-bearing one is stored exactly.
    let p = domain::check(DEFAULT_PIPELINE).pipeline.unwrap();
    let mut store = Store::open(&cq.db).unwrap();
    let ann = ops::actor(&store, "ann").unwrap();
    let now = DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc);
    let err = ops::add_record(
        &p,
        &mut store,
        &ann,
        &"x".repeat(1 << 20),
        BTreeMap::new(),
        now,
    )
    .expect_err("1 MB name");
    assert!(matches!(err, OpError::Invalid(_)), "{err:?}");
    let id = ops::add_record(&p, &mut store, &ann, "nul\0inside", BTreeMap::new(), now).unwrap();
    ops::note(&mut store, &ann, id, "n\0ul", ChangeOpts::default(), now).unwrap();
    drop(store);
    let rec = cq.show("ann", NOW, id);
    assert_eq!(rec["patient"], "nul\0inside");
    assert_eq!(rec["history"][1]["note"], "n\0ul");
    assert_no_controls(&cq.ok("ann", NOW, &["show", &id.to_string()]), "show", true);
}

#[cfg(unix)]
#[test]
fn invalid_utf8_arguments_are_a_usage_error_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let cq = setup();
    let bad = std::ffi::OsStr::from_bytes(b"caf\xe9 \xff\xfe");
    let id = cq.add("ann", NOW, "P", &[]).to_string();
    for args in [
        vec!["add".as_ref(), "--patient".as_ref(), bad],
        vec!["note".as_ref(), id.as_ref(), bad],
        vec!["move".as_ref(), id.as_ref(), bad],
    ] {
        let out = run_os(&cq, &args).unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1) | Some(2)),
            "{args:?}: {:?} {err}",
            out.status
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("UTF-8") || err.contains("error"), "{err}");
    }
    assert_eq!(cq.show("ann", NOW, id.parse().unwrap())["version"], 1);
}

#[test]
fn invalid_utf8_or_oversized_csv_cells_are_refused_by_import() {
    let cq = setup();
    let probe = cq.dir.path().join("probe.csv");
    std::fs::write(&probe, "patient,phone\nOk,555\n").unwrap();
    // Import is admin work.
    let out = cq.run(common::ADMIN, NOW, &["import", probe.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "a plain CSV imports: {err}");
    let before = cq.list("ann", NOW, &[]).len();
    let big = "z".repeat(1 << 20);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "invalid UTF-8",
            b"patient,phone\nGood,1\nBad \xff\xfe name,2\n".to_vec(),
        ),
        (
            "invalid UTF-8 in a field",
            b"patient,phone\nGood,1\nFine,\xc3\x28\n".to_vec(),
        ),
        (
            "1 MB name",
            format!("patient,phone\nGood,1\n{big},2\n").into_bytes(),
        ),
        ("NUL-free binary junk", vec![0xff; 64]),
    ];
    for (what, bytes) in cases {
        let file = cq.dir.path().join("bad.csv");
        std::fs::write(&file, &bytes).unwrap();
        let err = cq.fail_with_report(common::ADMIN, NOW, &["import", file.to_str().unwrap()]);
        assert!(
            !err.contains(&big[..64]),
            "{what}: the error echoes the cell"
        );
        assert_eq!(
            cq.list("ann", NOW, &[]).len(),
            before,
            "{what}: a refused import adds nothing"
        );
    }
    // Hostile but valid cells are stored exactly (see tests/import_names.rs).
    let mut importable = corpus();
    importable.retain(|s| !s.chars().any(|c| c.is_control() && !"\t\n\r".contains(c)));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["patient", "phone"]).unwrap();
    for s in &importable {
        w.write_record([s.as_str(), s.as_str()]).unwrap();
    }
    let file = cq.dir.path().join("hostile.csv");
    std::fs::write(&file, w.into_inner().unwrap()).unwrap();
    cq.ok(common::ADMIN, NOW, &["import", file.to_str().unwrap()]);
    let rows = cq.list("ann", NOW, &[]);
    for s in importable {
        let row = rows
            .iter()
            .find(|r| r["patient"] == s.as_str())
            .unwrap_or_else(|| panic!("{s:?} imported exactly"));
        let rec = cq.show("ann", NOW, row["id"].as_i64().unwrap());
        assert_eq!(rec["fields"]["phone"], s.as_str());
    }
}

/// No ESC or other control character, no bidi override or isolate.
#[track_caller]
fn assert_no_controls(text: &str, what: &str, allow_newlines: bool) {
    for (i, c) in text.char_indices() {
        if allow_newlines && c == '\n' {
            continue;
        }
        assert!(
            !c.is_control()
                && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'),
            "{what}: {c:?} at byte {i} reaches the terminal: {:?}",
            &text[text.floor_char_boundary(i.saturating_sub(40))
                ..text.floor_char_boundary((i + 40).min(text.len()))]
        );
    }
}

fn screen(app: &App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| ui::draw(f, app, &Theme::mono())).unwrap();
    term.backend().buffer().clone()
}

fn buffer_text(b: &ratatui::buffer::Buffer) -> String {
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            s.push_str(b[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

#[test]
fn console_shows_no_raw_control_characters() {
    let p = Arc::new(domain::check(DEFAULT_PIPELINE).pipeline.unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("c.db")).unwrap();
    let now = DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&Utc);
    let ann = store
        .upsert_user(
            "ann",
            &["ops".to_string(), "supervisor".to_string()],
            now.timestamp(),
        )
        .unwrap();
    let ann_user = ann;
    let ann = ops::actor(&store, "ann").unwrap();
    let corpus = corpus();
    let mut ids = Vec::new();
    for s in corpus.iter().take(20) {
        let mut fields = BTreeMap::new();
        fields.insert("phone".to_string(), s.clone());
        let id = ops::add_record(&p, &mut store, &ann, s, fields, now).unwrap();
        ops::note(&mut store, &ann, id, s, ChangeOpts::default(), now).unwrap();
        let args = carequeue::engine::rules::MoveArgs {
            note: Some(s),
            ..Default::default()
        };
        ops::move_record(
            &p,
            &mut store,
            &ann,
            id,
            "start_review",
            &args,
            ChangeOpts::default(),
            now,
        )
        .unwrap();
        ids.push(id);
    }
    let mut svc = Service::new(p.clone(), store, Arc::new(FixedClock(now)), ann, None);
    let mut app = App::new(p.clone(), ann_user.clone(), now);
    let reqs = app.start();
    pump(&mut app, &mut svc, reqs);
    // Find a view that lists the records.
    for _ in 0..app.views.len() {
        if app.page.total > 0 {
            break;
        }
        let reqs = app.on_action(Action::NextView);
        pump(&mut app, &mut svc, reqs);
    }
    assert!(app.page.total >= ids.len().min(WINDOW), "records listed");
    let mut seen = 0;
    let mut shown = String::new();
    for (w, h) in [(160u16, 50u16), (80, 30)] {
        // Walk every hostile record with the detail pane open.
        ui::fit_app(&mut app, ratatui::layout::Rect::new(0, 0, w, h));
        let reqs = app.on_action(Action::Top);
        pump(&mut app, &mut svc, reqs);
        if !app.detail_open {
            let reqs = app.on_action(Action::OpenDetail);
            pump(&mut app, &mut svc, reqs);
        }
        for _ in 0..ids.len() {
            let sel = app.selected_record().map(|r| r.id);
            assert!(sel.is_some(), "a record is selected");
            assert_eq!(
                app.detail.as_ref().map(|d| d.record.id),
                sel,
                "the detail pane shows the selected record"
            );
            let buf = screen(&app, w, h);
            let text = buffer_text(&buf);
            assert_no_controls(&text, &format!("screen {w}x{h} on record {sel:?}"), true);
            shown.push_str(&text);
            for y in 0..h {
                for x in 0..w {
                    assert_no_controls(buf[(x, y)].symbol(), "a cell", false);
                }
            }
            seen += 1;
            let reqs = app.on_action(Action::Down);
            pump(&mut app, &mut svc, reqs);
        }
    }
    assert_eq!(seen, 2 * ids.len());
    // Not vacuous: the hostile text was on screen, neutralised.
    for visible in [
        "DROP TABLE",
        "\u{FFFD}[31mred\u{FFFD}[0m",
        "abc\u{FFFD}fdp.exe",
        "🩺",
    ] {
        assert!(shown.contains(visible), "{visible:?} was never drawn");
    }
    // The help and a move picker over a hostile record draw clean too.
    for a in [Action::Help, Action::Cancel, Action::Move, Action::Note] {
        let reqs = app.on_action(a);
        pump(&mut app, &mut svc, reqs);
        let text = buffer_text(&screen(&app, 120, 40));
        assert_no_controls(&text, &format!("screen with {a:?}"), true);
    }
}
