//! The database and the team: what the database says of itself, sweeps,
//! export, the access log, users, import and pipeline changes.

use super::*;

/// What the database says of itself, the same on both stores: `info`,
/// the team, a checkpoint of the logs and the stage audit.
pub fn described(t: &Target) {
    let id = t.add("maria", "Ida Quell").to_string();
    t.ok("maria", &["move", &id, "start_review"]);
    let info = t.json("kim", &["info", "--json"]);
    assert_eq!(info["store"], t.kind(), "{info}");
    assert_eq!(info["records"], 1, "{info}");
    assert_eq!(info["trust_mode"], true, "{info}");
    assert_eq!(info["user"], "kim", "{info}");
    assert_eq!(info["pipeline_version"], 1, "{info}");
    let team = t.json("kim", &["user", "list", "--json"]);
    let names: Vec<&str> = team
        .as_array()
        .expect("rows")
        .iter()
        .map(|u| u["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["dev", "kim", "maria", "nobody", "okafor"], "{team}");
    assert_eq!(team[4]["roles"], serde_json::json!(["provider"]), "{team}");
    assert_eq!(team[4]["enabled"], true, "{team}");
    // A checkpoint names the event log as verify counts it.
    let cp: Value = serde_json::from_str(&t.ok("kim", &["checkpoint"])).expect("json");
    assert_eq!(cp["events"], info["events"], "reads add no events: {cp}");
    assert_eq!(cp["head"], info["head"], "{cp}");
    assert_eq!(
        cp["events"].as_i64(),
        Some(count_before(&t.verify(), "events")),
        "{cp}"
    );
    // The stored pipeline: its history, its text, resolved.
    let history = t.json("kim", &["pipeline", "history", "--json"]);
    assert_eq!(history[0]["version"], 1, "{history}");
    assert_eq!(history[0]["how"], "init", "{history}");
    assert_eq!(history[0]["by"], "nobody", "{history}");
    assert_eq!(history[0]["hash"], info["pipeline_hash"], "{history}");
    let text = t.ok("kim", &["pipeline", "show", "--version", "1", "--toml"]);
    let file = std::fs::read_to_string(&t.cq.pipeline).expect("pipeline file");
    assert_eq!(text, file, "the stored text, byte for byte");
    let resolved = t.json("kim", &["pipeline", "--json"]);
    assert_eq!(resolved["name"], "Telehealth care pipeline", "{resolved}");
    let e = t.refused("kim", &["pipeline", "show", "--version", "7"]);
    assert!(e.contains("versions 1 to 1"), "{e}");
    let audit = t.json("kim", &["audit", "--json"]);
    let stage = |id: &str| {
        audit["stages"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["stage"] == id))
            .unwrap_or_else(|| panic!("{id} in {audit}"))
            .clone()
    };
    assert_eq!(stage("form_submitted")["entered"], 1, "{audit}");
    assert_eq!(stage("form_submitted")["current"], 0, "{audit}");
    assert_eq!(stage("intake_review")["entered"], 1, "{audit}");
    assert_eq!(stage("intake_review")["current"], 1, "{audit}");
}

/// Two sweeps at once fire each due escalation exactly once, as the
/// system actor; a third finds nothing due.
pub fn sweeps(t: &Target) {
    const LATER: &str = "2026-11-05T09:00:00Z";
    let ids: Vec<String> = ["Sam One", "Sam Two", "Sam Three"]
        .iter()
        .map(|p| t.add("maria", p).to_string())
        .collect();
    let fired: i64 = std::thread::scope(|s| {
        let runs: Vec<_> = ["kim", "maria"]
            .iter()
            .map(|u| s.spawn(move || t.run_at(u, LATER, &["sweep", "--json"])))
            .collect();
        runs.into_iter()
            .map(|r| {
                let v: Value = serde_json::from_str(&ok(&r.join().expect("sweep"))).expect("json");
                v["escalations"].as_i64().expect("escalations")
            })
            .sum()
    });
    // Form Submitted escalates twice: at the breach, and 4 working hours on.
    assert_eq!(
        fired,
        6,
        "{}: each escalation once across both sweeps",
        t.kind()
    );
    let again: Value =
        serde_json::from_str(&ok(&t.run_at("kim", LATER, &["sweep", "--json"]))).expect("json");
    assert_eq!(again["escalations"], 0, "{again}");
    assert_eq!(again["timers"], 0, "{again}");
    for id in &ids {
        let r = t.json("kim", &["show", id, "--json"]);
        let by_system: Vec<&Value> = r["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter(|e| e["kind"] == "escalation")
            .collect();
        assert_eq!(by_system.len(), 2, "{r}");
        assert!(by_system.iter().all(|e| e["actor"] == "system"), "{r}");
        assert_eq!(r["owner_role"], "supervisor", "reassigned: {r}");
    }
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
}

/// `export`: every record with its history (JSON) or its columns (CSV),
/// alike on both stores.
pub fn exported(t: &Target) {
    let a = t.add("maria", "Eve Export").to_string();
    let b = t.add("maria", "Fay Export").to_string();
    t.ok("maria", &["move", &a, "start_review"]);
    t.ok("maria", &["note", &b, "left a voicemail"]);
    t.ok("maria", &["claim", &b]);
    let all = t.json("kim", &["export", "--format", "json"]);
    let rows = all.as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{all}");
    let kinds = |r: &Value| -> Vec<String> {
        r["history"]
            .as_array()
            .expect("history")
            .iter()
            .map(|e| e["kind"].as_str().expect("kind").to_string())
            .collect()
    };
    assert_eq!(rows[0]["patient"], "Eve Export", "{all}");
    assert_eq!(kinds(&rows[0]), ["create", "transition"], "{}", t.kind());
    assert_eq!(rows[1]["patient"], "Fay Export", "{all}");
    assert_eq!(kinds(&rows[1]), ["create", "note", "claim"], "{}", t.kind());
    assert_eq!(rows[1]["history"][1]["note"], "left a voicemail");
    let csv = t.ok("kim", &["export", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[0].starts_with("id,patient,stage,substatus,owner,entered_at"),
        "{csv}"
    );
    assert!(
        lines[1].starts_with(&format!("{a},Eve Export,intake_review,")),
        "{csv}"
    );
    assert!(
        lines[2].starts_with(&format!("{b},Fay Export,form_submitted,,maria,")),
        "{csv}"
    );
}

/// `access-log`: a supervisor reads who read what; an ops user may not
/// (on PostgreSQL the server refuses it too).
pub fn access_log(t: &Target) {
    let id = t.add("maria", "Gil Access").to_string();
    t.ok("okafor", &["show", &id]);
    let log = t.json("kim", &["access-log", "--record", &id, "--json"]);
    let rows = log.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{}: {log}", t.kind());
    assert_eq!(rows[0]["user"], "okafor", "{log}");
    assert_eq!(rows[0]["action"], "show", "{log}");
    let e = t.refused("maria", &["access-log", "--json"]);
    assert!(
        e.contains("admins and supervising roles"),
        "{}: {e}",
        t.kind()
    );
    // Reading the log is itself logged (after the listing).
    let again = t.json("kim", &["access-log", "--user", "kim", "--json"]);
    assert!(
        again
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["action"] == "access-log"),
        "{again}"
    );
}

/// The team changed by an admin: a user added (on PostgreSQL their login
/// linked by the server), acting at once; disabled, their records
/// released, refused from then on; a non-admin may change nobody.
pub fn team_changes(t: &Target) {
    let out = t.ok(
        "kim",
        &[
            "user", "add", NEWCOMER, "--role", "ops", "--login", NEWCOMER,
        ],
    );
    assert!(out.starts_with("lee: ops"), "{out}");
    let id = t.add(NEWCOMER, "Hal Team").to_string();
    t.ok(NEWCOMER, &["claim", &id]);
    let r = t.json("kim", &["show", &id, "--json"]);
    assert_eq!(r["owner"], NEWCOMER, "{}: {r}", t.kind());
    let e = t.refused("maria", &["user", "add", "mal", "--role", "ops"]);
    assert!(e.contains("admin"), "{e}");
    let e = t.refused("maria", &["user", "disable", NEWCOMER]);
    assert!(e.contains("admin"), "{e}");
    t.ok("kim", &["user", "disable", NEWCOMER]);
    let r = t.json("kim", &["show", &id, "--json"]);
    assert!(r["owner"].is_null(), "released on disable: {r}");
    let last = r["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history");
    assert_eq!(last["kind"], "release", "{r}");
    assert_eq!(last["actor"], "kim", "{r}");
    let e = t.refused(NEWCOMER, &["list"]);
    assert!(e.contains("disabled"), "{}: {e}", t.kind());
    let team = t.json("kim", &["user", "list", "--json"]);
    let lee = team
        .as_array()
        .and_then(|u| u.iter().find(|u| u["name"] == NEWCOMER))
        .expect("lee listed");
    assert_eq!(lee["enabled"], false, "{team}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
}

/// `import`: every row or none, alike on both stores (a given id kept,
/// the next one after it; the owner's `assign` event after `create`).
pub fn imported(t: &Target) {
    let file = t.cq.dir.path().join("in.csv");
    let csv = file.display().to_string();
    std::fs::write(
        &file,
        "id,patient,owner\n50,Jo Import,maria\n,Kai Import,\n",
    )
    .expect("csv");
    let out = t.ok("kim", &["import", &csv]);
    assert_eq!(out.trim(), "imported 2 records", "{}", t.kind());
    let jo = t.json("kim", &["show", "50", "--json"]);
    assert_eq!(jo["patient"], "Jo Import", "{jo}");
    assert_eq!(jo["owner"], "maria", "{jo}");
    let kinds: Vec<&str> = jo["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["create", "assign"], "{jo}");
    let kai = t.json("kim", &["show", "51", "--json"]);
    assert_eq!(kai["patient"], "Kai Import", "{}: {kai}", t.kind());
    // A bad row: nothing of the file is kept, and the problem is named.
    std::fs::write(&file, "patient,owner\nLou Import,maria\nMo Import,zed\n").expect("csv");
    let out = t.run("kim", &["import", &csv]);
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("in.csv:3:owner: is not a user"), "{e}");
    assert!(e.contains("nothing imported"), "{e}");
    let rows = t.json("kim", &["list", "--json"]);
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(2),
        "{}: {rows}",
        t.kind()
    );
    let e = t.refused("maria", &["import", &csv]);
    assert!(e.contains("admin"), "{e}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
}

/// A file past the bulk threshold (4 MiB): SQLite drops and rebuilds its
/// indexes, PostgreSQL stages the rows by COPY and moves them in with one
/// server call. Either way: every row with its events, the ids given and
/// following, the kept counts right (verify checks them), and a bad last
/// row keeps nothing.
pub fn bulk_imported(t: &Target) {
    const ROWS: usize = 40_000;
    let file = t.cq.dir.path().join("bulk.csv");
    let csv = file.display().to_string();
    let pad = "x".repeat(100);
    let mut text = String::from("id,patient,owner\n");
    for i in 0..ROWS {
        let id = if i == 0 { "5000" } else { "" };
        let owner = if i % 3 == 0 { "maria" } else { "" };
        text.push_str(&format!("{id},Bulk Patient {i:05} {pad},{owner}\n"));
    }
    assert!(text.len() > 4 << 20, "past the bulk threshold");
    std::fs::write(&file, &text).expect("csv");
    if let Some((s, db)) = &t.pg {
        // Count the server's function calls, to see which path ran.
        s.cluster.psql(
            db,
            &format!("ALTER DATABASE {db} SET track_functions = 'pl'"),
        );
    }
    let before = count_before(&t.verify(), "events");
    let out = t.ok("kim", &["import", &csv]);
    assert_eq!(
        out.trim(),
        format!("imported {ROWS} records"),
        "{}",
        t.kind()
    );
    let first = t.json("kim", &["show", "5000", "--json"]);
    assert_eq!(first["owner"], "maria", "{first}");
    let last = t.json("kim", &["show", &(5000 + ROWS - 1).to_string(), "--json"]);
    assert_eq!(
        last["patient"],
        format!("Bulk Patient {:05} {pad}", ROWS - 1),
        "{}",
        t.kind()
    );
    let kinds: Vec<&str> = first["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["create", "assign"], "{first}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{v}");
    assert_eq!(
        count_before(&v, "events"),
        before + (ROWS + ROWS.div_ceil(3)) as i64,
        "{v}"
    );
    let info = t.json("kim", &["info", "--json"]);
    assert_eq!(info["records"], ROWS, "{info}");
    if let Some((s, db)) = &t.pg {
        let calls = s.cluster.psql(
            db,
            "SELECT string_agg(funcname || '=' || calls, ' ' ORDER BY funcname) FROM pg_stat_user_functions
             WHERE funcname IN ('import_begin', 'import_finish', 'write_change')",
        );
        assert_eq!(
            calls, "import_begin=1 import_finish=1",
            "one COPY path, no row-by-row writes"
        );
    }
    // A bad last row: nothing of the file is kept.
    text.push_str(",Last Patient,zed\n");
    std::fs::write(&file, &text).expect("csv");
    let out = t.run("kim", &["import", &csv]);
    assert_eq!(out.status.code(), Some(1), "{}", t.kind());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains(&format!("bulk.csv:{}:owner: is not a user", ROWS + 2)),
        "{e}"
    );
    let v = t.verify();
    assert_eq!(
        count_before(&v, "events"),
        before + (ROWS + ROWS.div_ceil(3)) as i64,
        "{v}"
    );
}

/// `pipeline diff` and `apply`: a renamed stage carries its record (one
/// `rename` event), a tightened clock re-times it, the version is logged;
/// a non-admin is refused; `verify` replays it all on both stores.
pub fn pipeline_applied(t: &Target) {
    let a = t.add("maria", "Pia Apply").to_string();
    t.add("maria", "Quin Apply");
    t.ok("maria", &["move", &a, "start_review"]);
    let base = std::fs::read_to_string(&t.cq.pipeline).expect("pipeline");
    let sla = "sla = { max = \"8h\", warn = \"75%\", calendar = \"clinic_hours\" }";
    assert!(base.contains(sla));
    let text = base
        .replace("\"intake_review\"", "\"intake_triage\"")
        .replacen(
            "id = \"intake_triage\"\n",
            "id = \"intake_triage\"\nrenamed_from = [\"intake_review\"]\n",
            1,
        )
        .replace(
            sla,
            "sla = { max = \"4h\", warn = \"75%\", calendar = \"clinic_hours\" }",
        );
    let file = t.cq.dir.path().join("v2.toml");
    std::fs::write(&file, &text).expect("v2");
    let v2 = file.display().to_string();
    let diff = t.json("kim", &["pipeline", "diff", &v2, "--json"]);
    assert_eq!(diff["from_version"], 1, "{diff}");
    let per_stage = diff["records_per_stage"].to_string();
    assert!(per_stage.contains("intake_review"), "{}: {diff}", t.kind());
    let e = t.refused("maria", &["pipeline", "apply", &v2]);
    assert!(e.contains("admin"), "{e}");
    let out = t.ok("kim", &["pipeline", "apply", &v2]);
    assert!(
        out.contains("applied as version 2: 1 record(s) carried to renamed stages"),
        "{}: {out}",
        t.kind()
    );
    // From here the database runs under version 2 (no --pipeline).
    let db = match &t.pg {
        Some(_) => t.url("driver"),
        None => t.cq.db.display().to_string(),
    };
    let now = ["--now", NOW, "--as", "kim", "--db", &db];
    let plain = |args: &[&str]| {
        let mut all = now.to_vec();
        all.extend_from_slice(args);
        serde_json::from_str::<Value>(&ok(&t.bare(&all))).expect("json")
    };
    let r = plain(&["show", &a, "--json"]);
    assert_eq!(r["stage"], "intake_triage", "{r}");
    let last = r["history"]
        .as_array()
        .and_then(|h| h.last())
        .expect("history");
    assert_eq!(last["kind"], "rename", "{r}");
    assert_eq!(last["actor"], "kim", "{r}");
    let history = plain(&["pipeline", "history", "--json"]);
    assert_eq!(history[1]["version"], 2, "{history}");
    assert_eq!(history[1]["how"], "apply", "{history}");
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{}: {v}", t.kind());
}

/// Early warnings, alike on both stores: a pipeline applied with
/// `warn_at` times the open stays' warnings; two sweeps at once fire each
/// threshold once, as the system (on PostgreSQL through the server's
/// checked writer); `verify` replays them.
pub fn warned(t: &Target) {
    const LATER: &str = "2026-11-05T09:00:00Z";
    let ids: Vec<String> = ["Wen One", "Wen Two"]
        .iter()
        .map(|p| t.add("maria", p).to_string())
        .collect();
    let base = std::fs::read_to_string(&t.cq.pipeline).expect("pipeline");
    let sla = "sla = { max = \"4h\", warn = \"3h\", calendar = \"clinic_hours\" }";
    assert!(base.contains(sla));
    let text = base.replacen(
        sla,
        "sla = { max = \"4h\", warn = \"3h\", calendar = \"clinic_hours\", warn_at = [\"50%\", \"80%\"] }",
        1,
    );
    let file = t.cq.dir.path().join("warned.toml");
    std::fs::write(&file, &text).expect("warned.toml");
    t.ok("kim", &["pipeline", "apply", &file.display().to_string()]);
    // From here the database runs under version 2 (no --pipeline).
    let db = match &t.pg {
        Some(_) => t.url("driver"),
        None => t.cq.db.display().to_string(),
    };
    let at = |user: &'static str, now: &'static str, args: &[&str]| {
        let mut all = vec!["--now", now, "--as", user, "--db", &db];
        all.extend_from_slice(args);
        serde_json::from_str::<Value>(&ok(&t.bare(&all))).expect("json")
    };
    let r = at("kim", NOW, &["show", &ids[0], "--json"]);
    assert_eq!(r["next_warning"]["threshold"], "50%", "{}: {r}", t.kind());
    let fired: i64 = std::thread::scope(|s| {
        let runs: Vec<_> = ["kim", "maria"]
            .into_iter()
            .map(|u| s.spawn(move || at(u, LATER, &["sweep", "--json"])))
            .collect();
        runs.into_iter()
            .map(|r| r.join().expect("sweep")["warnings"].as_i64().expect("n"))
            .sum()
    });
    assert_eq!(
        fired,
        4,
        "{}: each threshold once across both sweeps",
        t.kind()
    );
    let again = at("kim", LATER, &["sweep", "--json"]);
    assert_eq!(again["warnings"], 0, "{again}");
    for id in &ids {
        let r = at("kim", LATER, &["show", id, "--json"]);
        let warned: Vec<(&str, &str)> = r["history"]
            .as_array()
            .expect("history")
            .iter()
            .filter(|e| e["kind"] == "sla_warning")
            .map(|e| {
                (
                    e["actor"].as_str().unwrap_or_default(),
                    e["event"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(warned, [("system", "50%"), ("system", "80%")], "{r}");
        assert_eq!(r["next_warning"], Value::Null, "{r}");
    }
    let v = t.verify();
    assert!(v.starts_with("ok:"), "{}: {v}", t.kind());
}
