//! The hot queries stay on their indexes: an index regression (a dropped or
//! renamed index, a rewritten query the planner can no longer serve from
//! one) fails here rather than as a slow console at a million records.

use carequeue::store::sqlite::attention::ATTENTION_SQL;
use carequeue::store::{KeyVal, ListFilter, OwnerFilter, Seek, SlaFilter, Sort, SortKey, Store};
use rusqlite::types::Value;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("dir");
    let s = Store::create(&dir.path().join("plans.db")).expect("create");
    (dir, s)
}

fn plan(s: &Store, sql: &str, args: &[Value]) -> String {
    s.query_plan(sql, args).expect("explain").join(" | ")
}

fn stages(v: &[&str]) -> Option<Vec<String>> {
    Some(v.iter().map(|x| x.to_string()).collect())
}

#[test]
fn a_phase_page_walks_the_urgency_index_without_sorting() {
    let (_d, s) = store();
    let f = ListFilter {
        stages: stages(&["a", "b", "c"]),
        limit: Some(200),
        seek: Seek::From((KeyVal::Int(5), 7)),
        ..Default::default()
    };
    let (sql, args) = f.select_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(p.contains("records_urgency"), "{p}");
    assert!(
        !p.contains("TEMP B-TREE"),
        "no sort of the whole phase: {p}"
    );
}

#[test]
fn a_single_stage_page_uses_the_stage_index_in_order() {
    let (_d, s) = store();
    let f = ListFilter {
        stages: stages(&["a"]),
        limit: Some(200),
        ..Default::default()
    };
    let (sql, args) = f.select_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(p.contains("records_stage_urgency (stage=?"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "{p}");
}

#[test]
fn backwards_and_owner_pages_stay_ordered_by_index() {
    let (_d, s) = store();
    for f in [
        ListFilter {
            stages: stages(&["a", "b"]),
            seek: Seek::Before((KeyVal::Int(9), 9)),
            limit: Some(200),
            ..Default::default()
        },
        ListFilter {
            stages: stages(&["a", "b"]),
            owner: OwnerFilter::UserOrUnassigned("u".into()),
            limit: Some(200),
            ..Default::default()
        },
        ListFilter {
            stages: stages(&["a", "b"]),
            sla: SlaFilter::Attention,
            limit: Some(200),
            ..Default::default()
        },
    ] {
        let (sql, args) = f.select_sql(1000);
        let p = plan(&s, &sql, &args);
        assert!(
            p.contains("records_urgency") && !p.contains("TEMP B-TREE"),
            "{f:?}: {p}"
        );
    }
}

#[test]
fn a_roles_own_queue_is_counted_from_an_index_alone() {
    let (_d, s) = store();
    let f = ListFilter {
        stages: stages(&["a", "b"]),
        notified: vec!["ops".into()],
        owner: OwnerFilter::UserOrUnassigned("u".into()),
        ..Default::default()
    };
    let (sql, args) = f.count_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(
        p.contains("COVERING INDEX records_owner_queue") && !p.contains("SCAN records"),
        "{p}"
    );
}

/// A supervisor's My Queue: the records an escalation handed to one of
/// their roles, which own no stage. The count, the board's counts and the
/// page (one stage, several, many, with a name) read `records_owner_role`,
/// not every unassigned record of the stages.
#[test]
fn records_handed_to_a_role_are_read_on_their_own_index() {
    let (_d, s) = store();
    let many: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    for st in [stages(&["a"]), stages(&["a", "b"]), Some(many)] {
        for (sla, text) in [
            (SlaFilter::Any, None),
            (SlaFilter::Breached, None),
            (SlaFilter::AtRisk, None),
            (SlaFilter::Any, Some("Nguyen")),
        ] {
            let f = ListFilter {
                stages: st.clone(),
                owner: OwnerFilter::UserOrUnassigned("kim".into()),
                roles: vec!["supervisor".into()],
                sla,
                text: text.map(str::to_string),
                limit: Some(200),
                ..Default::default()
            };
            let (sql, args) = f.count_sql(1000);
            let p = plan(&s, &sql, &args);
            // Counted from the index alone (a name also reads its trigrams).
            let want = if text.is_some() {
                "INDEX records_owner_role (owner_role=?"
            } else {
                "USING COVERING INDEX records_owner_role (owner_role=?"
            };
            assert!(p.contains(want), "count {f:?}: {p}");
            let (sql, args) = f.select_sql(1000);
            let p = plan(&s, &sql, &args);
            assert!(
                p.contains("USING INDEX records_owner_role (owner_role=?"),
                "page {f:?}: {p}"
            );
            assert!(!p.contains("TEMP B-TREE"), "in the index's order: {p}");
            if text.is_some() {
                let (sql, args) = f.counted_ids_sql(1000);
                let p = plan(&s, &sql, &args);
                assert!(p.contains("records_owner_role"), "counted page {f:?}: {p}");
            }
        }
    }
    // Roles that own stages: the handed records on their index, the rest
    // of the roles' stages by stage; never a scan of the table.
    let f = ListFilter {
        stages: stages(&["a", "b"]),
        roles: vec!["ops".into()],
        role_stages: vec!["a".into()],
        ..Default::default()
    };
    let (sql, args) = f.count_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(
        p.contains("records_owner_role (owner_role=?)")
            && p.contains("(stage=?)")
            && !p.contains("SCAN records"),
        "{p}"
    );
    // No stages: nothing, and no error from the partial index.
    let f = ListFilter {
        stages: Some(Vec::new()),
        roles: vec!["supervisor".into()],
        ..Default::default()
    };
    assert_eq!(s.count(&f, 1000).expect("count"), 0);
    assert!(s.list(&f, 1000).expect("list").is_empty());
}

/// A name word too short for the trigram index, under the Breaches view's
/// filter: counted, paged and counted for the board from the
/// stage-and-patient index alone, which holds the clock's times (no read
/// of each candidate row).
#[test]
fn a_short_name_under_the_breaches_filter_reads_no_row() {
    let (_d, s) = store();
    for sla in [
        SlaFilter::Attention,
        SlaFilter::AtRisk,
        SlaFilter::Breached,
        SlaFilter::Ok,
        SlaFilter::Any,
    ] {
        let f = ListFilter {
            stages: stages(&["a", "b", "c"]),
            sla,
            text: Some("N".into()),
            limit: Some(200),
            ..Default::default()
        };
        let (sql, args) = f.counted_ids_sql(1000);
        let p = plan(&s, &sql, &args);
        assert!(
            p.contains(
                "COVERING INDEX records_stage_patient (stage=? AND patient>? AND patient<?)"
            ),
            "{sla:?}: {p}"
        );
        let (sql, args) = f.count_sql(1000);
        let p = plan(&s, &sql, &args);
        assert!(
            p.contains("COVERING INDEX records_stage_patient"),
            "{sla:?}: {p}"
        );
        // The board's counts (total, breached, at risk per stage), too.
        let (sql, args) = f.stage_counts_sql(1000);
        let p = plan(&s, &sql, &args);
        assert!(
            p.contains("COVERING INDEX records_stage_patient"),
            "board {sla:?}: {p}"
        );
    }
}

#[test]
fn breach_counts_and_groups_read_only_the_attention_index() {
    let (_d, s) = store();
    // One pass over the index, counted by the caller: no sort of its rows.
    let p = plan(&s, ATTENTION_SQL, &[Value::Integer(1000)]);
    assert!(
        p.contains("USING COVERING INDEX records_attention (warn_at<?)")
            && !p.contains("TEMP B-TREE"),
        "{p}"
    );
    let f = ListFilter {
        stages: stages(&["a", "b"]),
        sla: SlaFilter::Attention,
        ..Default::default()
    };
    let (sql, args) = f.count_sql(1000);
    let p = plan(&s, &sql, &args);
    assert!(p.contains("COVERING INDEX records_attention"), "{p}");
}

#[test]
fn a_past_warn_count_over_no_stages_is_zero_not_an_error() {
    let (_d, s) = store();
    for sla in [SlaFilter::Attention, SlaFilter::AtRisk] {
        let f = ListFilter {
            stages: Some(Vec::new()),
            sla,
            ..Default::default()
        };
        assert_eq!(s.count(&f, 1000).expect("count"), 0, "{f:?}");
    }
}

#[test]
fn the_sweep_finds_due_work_by_index() {
    let (_d, s) = store();
    let args = [
        Value::Integer(1000),
        Value::Integer(0),
        Value::Integer(0),
        Value::Integer(500),
    ];
    let p = plan(&s, &carequeue::store::sqlite::due::TIMERS_DUE_SQL, &args);
    assert!(
        p.contains("INDEX records_timer (timer_at") && !p.contains("TEMP B-TREE"),
        "{p}"
    );
    let args = [
        Value::Text("a".into()),
        Value::Integer(0),
        Value::Integer(1000),
        Value::Integer(0),
        Value::Integer(0),
        Value::Integer(500),
    ];
    let p = plan(
        &s,
        &carequeue::store::sqlite::due::ESCALATIONS_DUE_SQL,
        &args,
    );
    assert!(
        p.contains("records_escalation (stage=? AND escalation=? AND sort_due"),
        "{p}"
    );
}

#[test]
fn history_and_retried_operations_are_lookups() {
    let (_d, s) = store();
    let p = plan(
        &s,
        "SELECT id FROM events WHERE record_id = ?1 ORDER BY id",
        &[Value::Integer(1)],
    );
    assert!(
        p.contains("events_record (record_id=?)") && !p.contains("TEMP B-TREE"),
        "{p}"
    );
    let p = plan(
        &s,
        "SELECT record_id FROM events WHERE op_id = ?1",
        &[Value::Text("x".into())],
    );
    assert!(p.contains("events_op (op_id=?)"), "{p}");
}

fn sorts() -> Vec<Sort> {
    SortKey::ALL
        .iter()
        .flat_map(|&key| [Sort { key, desc: false }, Sort { key, desc: true }])
        .collect()
}

fn seek_for(sort: Sort) -> Seek {
    Seek::From(match sort.key {
        SortKey::Patient => (KeyVal::Text("m".into()), 7),
        _ => (KeyVal::Int(5), 7),
    })
}

/// Every order, over one stage and over several, forwards and from a
/// keyset cursor: an index walk in that order, never a sort of the rows.
#[test]
fn every_order_pages_from_its_own_index() {
    let (_d, s) = store();
    for sort in sorts() {
        for st in [stages(&["a"]), stages(&["a", "b", "c"]), None] {
            for seek in [Seek::Start, seek_for(sort), Seek::End] {
                let f = ListFilter {
                    stages: st.clone(),
                    sort,
                    seek,
                    limit: Some(60),
                    ..Default::default()
                };
                let (sql, args) = f.select_sql(1000);
                let p = plan(&s, &sql, &args);
                assert!(!p.contains("TEMP B-TREE"), "{f:?}: {p}");
                // By id over several stages: the table itself, in id order.
                let walk = if sort.key == SortKey::Id && st.as_ref().is_none_or(|v| v.len() > 1) {
                    "SCAN records"
                } else {
                    "USING INDEX"
                };
                assert!(
                    p.contains(walk) || p.contains("USING INTEGER PRIMARY KEY"),
                    "{f:?}: {p}"
                );
            }
        }
    }
}

/// Each structured term is served by an index: none scans the table on
/// the keypress path (a name search finds its rows in the trigram index,
/// then sorts only those). A few stages are read one stage at a time, so
/// the page query is one stage's.
#[test]
fn no_structured_filter_scans_the_table() {
    let (_d, s) = store();
    carequeue::store::sqlite::filter::index_fields(s.conn(), &["state"]).expect("field index");
    let base = || ListFilter {
        stages: stages(&["a"]),
        limit: Some(60),
        ..Default::default()
    };
    let cases: Vec<(&str, ListFilter)> = vec![
        ("stage", base()),
        (
            "owner",
            ListFilter {
                owner: OwnerFilter::User("u".into()),
                ..base()
            },
        ),
        (
            "owner none",
            ListFilter {
                owner: OwnerFilter::Unassigned,
                ..base()
            },
        ),
        (
            "role",
            ListFilter {
                roles: vec!["ops".into()],
                role_stages: vec!["a".into()],
                ..base()
            },
        ),
        (
            "sla breached",
            ListFilter {
                sla: SlaFilter::Breached,
                ..base()
            },
        ),
        (
            "sla warn",
            ListFilter {
                sla: SlaFilter::AtRisk,
                ..base()
            },
        ),
        (
            "sla ok",
            ListFilter {
                sla: SlaFilter::Ok,
                ..base()
            },
        ),
        (
            "sla paused",
            ListFilter {
                sla: SlaFilter::Paused,
                ..base()
            },
        ),
        (
            "sub",
            ListFilter {
                substatus: Some(vec![Some("x".into()), None]),
                ..base()
            },
        ),
        (
            "id",
            ListFilter {
                id: Some(42),
                ..base()
            },
        ),
        (
            "field",
            ListFilter {
                fields: vec![("state".into(), vec!["TX".into(), "CA".into()])],
                ..base()
            },
        ),
        (
            "name",
            ListFilter {
                text: Some("grunewald".into()),
                ..base()
            },
        ),
        (
            "short name",
            ListFilter {
                text: Some("gr".into()),
                ..base()
            },
        ),
        (
            "name, every stage",
            ListFilter {
                stages: None,
                text: Some("wald".into()),
                ..base()
            },
        ),
        (
            "field, every stage",
            ListFilter {
                stages: None,
                fields: vec![("state".into(), vec!["TX".into(), "CA".into()])],
                ..base()
            },
        ),
    ];
    for (what, f) in cases {
        for sort in sorts() {
            let f = f.clone().sorted(sort);
            let (sql, args) = f.select_sql(1000);
            let p = plan(&s, &sql, &args);
            assert!(
                !p.split(" | ").any(|step| step == "SCAN records"),
                "{what}, {sort:?}: the page scans the table: {p}"
            );
            let (sql, args) = f.count_sql(1000);
            let p = plan(&s, &sql, &args);
            assert!(
                !p.split(" | ").any(|step| step == "SCAN records"),
                "{what}: the count scans the table: {p}"
            );
        }
    }
}

/// A page whose field or name terms match many rows walks the order's own
/// index, testing each row, and stops at the page: no sort, whichever the
/// order, over one stage or several.
#[test]
fn a_broad_term_walks_the_orders_index_without_sorting() {
    let (_d, s) = store();
    carequeue::store::sqlite::filter::index_fields(s.conn(), &["state"]).expect("field index");
    for sort in sorts() {
        for st in [stages(&["a"]), stages(&["a", "b", "c"]), None] {
            for (fields, text) in [
                (vec![("state".to_string(), vec!["TX".to_string()])], None),
                (Vec::new(), Some("grunewald".to_string())),
            ] {
                let f = ListFilter {
                    stages: st.clone(),
                    sort,
                    fields,
                    text,
                    walk: true,
                    seek: seek_for(sort),
                    limit: Some(60),
                    ..Default::default()
                };
                let (sql, args) = f.select_sql(1000);
                let p = plan(&s, &sql, &args);
                assert!(!p.contains("TEMP B-TREE"), "{f:?}: {p}");
                assert!(!p.contains("records_field_state"), "{f:?}: {p}");
            }
        }
    }
}

/// Where a capped walk stops is found on the order's own index, counting
/// index rows only: no sort, and a covering read where the index has the key.
#[test]
fn a_capped_walks_stop_is_read_from_the_orders_index() {
    let (_d, s) = store();
    for sort in sorts() {
        for st in [stages(&["a"]), stages(&["a", "b", "c"]), None] {
            let f = ListFilter {
                stages: st.clone(),
                sort,
                fields: vec![("state".to_string(), vec!["TX".to_string()])],
                walk: true,
                scan_cap: Some(20_000),
                seek: seek_for(sort),
                limit: Some(60),
                ..Default::default()
            };
            let (sql, args) = f.boundary_sql(1000).expect("a capped walk");
            let p = plan(&s, &sql, &args);
            assert!(!p.contains("TEMP B-TREE"), "{f:?}: {p}");
            assert!(
                !sql.contains("json_extract"),
                "only the index counts: {sql}"
            );
            // Backwards, or without a cap, there is no stop to find.
            let back = ListFilter {
                seek: Seek::End,
                ..f.clone()
            };
            assert!(back.boundary_sql(1000).is_none());
            let uncapped = ListFilter {
                scan_cap: None,
                ..f
            };
            assert!(uncapped.boundary_sql(1000).is_none());
        }
    }
}
