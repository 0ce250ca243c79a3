//! The layers stay apart: the console (`app`, `ui`) and the presentation
//! module never reach into the command line's code. A file that does
//! fails here.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    let mut todo = vec![root];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("source dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                out.push((p.display().to_string(), text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

#[test]
fn the_console_and_the_presentation_module_do_not_import_the_command_line() {
    for dir in ["app", "ui", "present"] {
        for (file, text) in sources(dir) {
            assert!(
                !text.contains("crate::cli"),
                "{file} imports from the command line; shared display code belongs in `present`"
            );
        }
    }
}

/// The operations and commands that run on either store name neither
/// store's types: they go through `store::Db`. (More move here as each
/// command is ported; the rest of `ops` is still SQLite's.)
#[test]
fn the_ported_operations_name_no_store_of_their_own() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // The console's whole data side, too: it reaches either store through
    // `store::Board`.
    let app: Vec<String> = std::fs::read_dir(root.join("app"))
        .expect("src/app")
        .filter_map(|e| e.ok())
        .map(|e| format!("app/{}", e.file_name().to_string_lossy()))
        .collect();
    assert!(app.len() > 20, "{app:?}");
    for file in &app {
        let text = std::fs::read_to_string(root.join(file)).expect("source");
        for word in [
            "rusqlite",
            "postgres::",
            "store::Store;",
            "Store::open",
            "&Store",
            "mut Store",
        ] {
            assert!(
                !text.contains(word),
                "src/{file} names `{word}`: the console reaches the database through `store::Board`"
            );
        }
    }
    for file in [
        "ops/actions.rs",
        "ops/create.rs",
        "ops/ownership.rs",
        "ops/annotate.rs",
        "ops/reads.rs",
        "ops/identity.rs",
        "cli/records.rs",
        "cli/changes.rs",
        "ops/views.rs",
        "ops/checkpoints.rs",
        "ops/import/mod.rs",
        "ops/import/rows.rs",
        "ops/pipeline_change/mod.rs",
        "ops/pipeline_change/plan.rs",
        "cli/exchange.rs",
        "cli/access_cmd.rs",
        "cli/audit_cmd.rs",
        "cli/pipeline_cmd.rs",
        "cli/pipeline_change_cmd.rs",
        "tui.rs",
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect("source");
        for word in [
            "rusqlite",
            "postgres::",
            "store::Store;",
            "{Store",
            " Store,",
            "&Store",
            "mut Store",
        ] {
            assert!(
                !text.contains(word),
                "src/{file} names `{word}`: it should reach the database through `store::Db`"
            );
        }
    }
}

/// No database client's type appears above `src/store`: every other file
/// reaches SQLite and PostgreSQL through the store's own types (`Db`,
/// `Board`, `pg::Setup` for the commands that lay a database down).
#[test]
fn no_client_type_above_the_store() {
    let all = sources(".");
    assert!(all.len() > 100, "{} sources", all.len());
    let store = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join("store");
    let mut above = 0;
    for (path, text) in &all {
        if Path::new(path).starts_with(&store) {
            continue;
        }
        above += 1;
        for word in ["rusqlite", "postgres::", "use postgres", "pg::connect"] {
            assert!(
                !text.contains(word),
                "{path} names `{word}`: only src/store speaks to a database client"
            );
        }
    }
    assert!(above > 50, "{above} files above the store");
}
