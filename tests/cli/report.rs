//! `report`: one self-contained HTML page to forward. It names no patient,
//! points at nothing outside itself (no script, stylesheet, image or font
//! to fetch: the only URLs are SVG's namespace), is written 0600 to a new
//! file, and renders in headless Chromium (Debian's `chromium`, installed
//! by `.ci/run`).

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const NOW: &str = "2026-11-26T15:00:00Z";

fn carequeue(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_carequeue"))
        .arg("--db")
        .arg(db)
        .args([
            "--pipeline",
            concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.toml"),
            "--now",
            NOW,
            "--as",
            "kim",
        ])
        .args(args)
        .output()
        .expect("run carequeue")
}

fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var("CQ_REQUIRE_ROOT").as_deref() != Ok("1"),
            "chromium is needed (apt-get install chromium), and CQ_REQUIRE_ROOT=1 forbids skipping"
        );
        eprintln!("note: the report's rendering check skipped: no chromium");
    }
    found
}

#[test]
fn the_report_is_one_page_naming_no_patient_fetching_nothing_and_it_renders() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("demo.db");
    let out = carequeue(&db, &["demo", "--no-tui", "--records", "160"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = dir.path().join("report.html");
    let path = page.display().to_string();
    let args = [
        "report",
        "--since",
        "2026-09-01",
        "--until",
        "2026-11-27",
        "--out",
        &path,
    ];
    let out = carequeue(&db, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("the page");
    let mode = std::fs::metadata(&page).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "for its owner only");

    // What it holds: every stage, the trend charts.
    let list: Value =
        serde_json::from_slice(&carequeue(&db, &["list", "--json"]).stdout).expect("list");
    for name in [
        "Form Submitted",
        "Pending Provider",
        "Care Completed",
        "Breaches by reason",
    ] {
        assert!(html.contains(name), "{name}");
    }
    assert_eq!(html.matches("<svg").count(), 3, "three charts, inline");
    // No patient named anywhere.
    for r in list.as_array().expect("rows") {
        let patient = r["patient"].as_str().expect("patient");
        assert!(!html.contains(patient), "{patient} is in the page");
    }
    // Nothing to fetch: no script, stylesheet, image, frame or font link;
    // the only URLs are the SVG namespace's.
    for bad in [
        "<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import",
    ] {
        assert!(!html.contains(bad), "the page holds `{bad}`");
    }
    let urls: Vec<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..(i + 26).min(html.len())])
        .collect();
    assert!(
        urls.iter()
            .all(|u| u.starts_with("http://www.w3.org/2000/svg")),
        "{urls:?}"
    );
    // A second report onto the same file is refused, the first kept.
    let again = carequeue(&db, &args);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&page).expect("kept"), html);

    let Some(browser) = chromium() else { return };
    let url = format!("file://{path}");
    let dom = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            &url,
        ])
        .output()
        .expect("chromium");
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<h2>Stage audit</h2>"),
        "rendered: {}",
        &dom[..dom.len().min(400)]
    );
    assert_eq!(
        dom.matches("<svg").count(),
        3,
        "the charts are in the rendered page"
    );
    let shot = dir.path().join("report.png");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg("--window-size=1150,2100")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(&url)
        .output()
        .expect("chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        png.len() > 50_000,
        "a page with charts, not a blank one: {} bytes",
        png.len()
    );
}
