//! `pipeline apply` of an SLA change on the bench database: the stage
//! holding the most open records gets a tighter SLA, and every open record
//! there is re-timed in the apply's transaction. Run on a copy, so the
//! bench database keeps its pipeline. The floor: the same rows' clock
//! columns rewritten by id with a bare prepared UPDATE, in one committed
//! transaction (the apply then writes over it).

use super::{Line, ms, now, time};
use carequeue::domain::{DEFAULT_PIPELINE, Pipeline, check};
use carequeue::ops::{self, pipeline_change};
use carequeue::store::Store;
use std::path::Path;

/// The default pipeline with `stage`'s SLA halved (its first `sla =` line).
fn tightened(stage: &str) -> String {
    let text = DEFAULT_PIPELINE;
    let at = text
        .find(&format!("id = \"{stage}\"\n"))
        .expect("stage in the pipeline");
    let sla = at + text[at..].find("sla = { max = \"").expect("an SLA");
    let line_end = sla + text[sla..].find('\n').expect("line end");
    let line = &text[sla..line_end];
    let max_start = "sla = { max = \"".len();
    let max_end = max_start + line[max_start..].find('"').expect("max");
    let new_line = format!("{}1h{}", &line[..max_start], &line[max_end..]);
    // A warn given as a time must stay below the new maximum.
    let new_line = match new_line.find("warn = \"") {
        Some(w) if !new_line[w..].starts_with("warn = \"75%\"") => {
            let end = w + 8 + new_line[w + 8..].find('"').expect("warn");
            format!("{}warn = \"45m{}", &new_line[..w], &new_line[end..])
        }
        _ => new_line,
    };
    format!("{}{}{}", &text[..sla], new_line, &text[line_end..])
}

pub fn apply_sla_change(p: &Pipeline, path: &Path, out: &mut Vec<Line>) {
    let copy = path.with_file_name("bench-apply.db");
    for suffix in ["", "-wal", "-shm"] {
        let mut f = copy.as_os_str().to_owned();
        f.push(suffix);
        let _ = std::fs::remove_file(f);
    }
    {
        // Folds the WAL into the file so the copy is whole.
        let s = Store::open(path).expect("open");
        s.checkpoint().expect("checkpoint");
    }
    std::fs::copy(path, &copy).expect("copy the bench database");
    let mut store = Store::open(&copy).expect("open copy");
    let (stage, open): (String, i64) = carequeue::store::sqlite::in_use::stage_totals(store.conn())
        .expect("counts")
        .into_iter()
        .filter(|(s, _)| {
            p.stage_ix(s)
                .is_some_and(|ix| !p.stage(ix).terminal && p.stage(ix).sla.is_some())
        })
        .max_by_key(|(_, n)| *n)
        .expect("an open stage with an SLA");
    let text = tightened(&stage);
    let new = check(&text)
        .pipeline
        .expect("the tightened pipeline is valid");
    let admin = store
        .users()
        .expect("users")
        .into_iter()
        .find(|u| ops::is_admin(p, u))
        .expect("an admin");
    let actor = ops::actor(&store, &admin.name).expect("admin");
    let hash = carequeue::store::sqlite::setup::current_pipeline(store.conn())
        .expect("read")
        .expect("stored")
        .hash;
    store.expect_pipeline(Some(hash));

    let floor = time(|| {
        let tx = store.conn().unchecked_transaction().expect("tx");
        let ids: Vec<i64> = {
            let mut st = tx
                .prepare("SELECT id FROM records WHERE stage = ?1")
                .expect("prep");
            st.query_map([&stage], |r| r.get(0))
                .expect("q")
                .collect::<Result<_, _>>()
                .expect("ids")
        };
        let mut up = tx
            .prepare(
                "UPDATE records SET due_at = due_at - 1, warn_at = warn_at - 1,
                   sort_due = sort_due - 1, timer_at = timer_at WHERE id = ?1",
            )
            .expect("prep");
        for id in &ids {
            up.execute([id]).expect("update");
        }
        drop(up);
        tx.commit().expect("commit");
    })
    .1;
    let (done, took) = time(|| {
        pipeline_change::apply(&mut store, &actor, p, &new, &text, &[], now())
            .expect("the SLA change applies")
    });
    out.push(Line {
        work: format!(
            "pipeline apply: SLA of `{stage}` changed, {} open records re-timed",
            done.retimed
        ),
        budget: "report only".into(),
        ours: ms(took),
        raw: format!("bare UPDATE of the same {open} rows by id {}", ms(floor)),
    });
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let mut f = copy.as_os_str().to_owned();
        f.push(suffix);
        let _ = std::fs::remove_file(f);
    }
}
