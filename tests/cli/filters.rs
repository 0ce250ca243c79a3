//! Structured filters and orders through the real binary (`list --filter`,
//! `list --sort`): the same parser and queries the console's `/`, `:filter`
//! and `:sort` use.

use crate::common::{Cq, ids};

const NOW: &str = "2026-11-26T15:00:00Z";

fn team() -> Cq {
    let cq = Cq::init_default(NOW);
    for (u, r) in [("sup", "supervisor"), ("maria", "ops"), ("dev", "ops")] {
        cq.ok("nobody", NOW, &["user", "add", u, "--role", r]);
    }
    cq
}

fn names(rows: &[serde_json::Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["patient"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn names_are_found_with_accents_and_case_folded_by_the_full_text_index() {
    let cq = team();
    let a = cq.add("maria", NOW, "Lena Grünewald", &[]);
    let b = cq.add("maria", NOW, "GRUNEWALD Tomas", &[]);
    let c = cq.add("maria", NOW, "Zoë Müller", &[]);
    let o = cq.add("maria", NOW, "Ana Ortiz", &[]);
    let found = |f: &str| ids(&cq.list("sup", NOW, &["--filter", f, "--sort", "id"]));
    // A comma means OR, in a name word as in every other term.
    assert_eq!(found("ortiz,zoe"), [c, o], "either word");
    assert_eq!(
        found("grunewald,muller lena"),
        [a],
        "OR inside a word, AND between words"
    );
    assert_eq!(
        found("an,zo"),
        [c, o],
        "short alternatives match the start of a name"
    );
    assert_eq!(found("qqq,zzz"), Vec::<i64>::new());
    assert_eq!(found("grunewald"), [a, b]);
    assert_eq!(
        found("Grün"),
        [a, b],
        "an accent in the query is folded too"
    );
    assert_eq!(found("zoe muller"), [c], "every word must match");
    assert_eq!(found("zoe ortiz"), Vec::<i64>::new());
    assert_eq!(
        found("ll"),
        Vec::<i64>::new(),
        "two letters match the start of a name only"
    );
    assert_eq!(found("le"), [a]);
    assert_eq!(found(&format!("#{c}")), [c], "an exact id");
    // Added later: the index follows new records.
    let d = cq.add("maria", NOW, "Bruno Grunewälder", &[]);
    assert_eq!(found("grunewald"), [a, b, d]);
}

#[test]
fn terms_combine_with_and_and_fields_declared_filterable_are_filterable() {
    let cq = team();
    let tx = cq.add("maria", NOW, "Tex One", &["state=TX", "program=weight"]);
    let tx2 = cq.add("maria", NOW, "Tex Two", &["state=TX", "program=hair"]);
    let ca = cq.add("maria", NOW, "Cal One", &["state=CA", "program=weight"]);
    cq.ok("maria", NOW, &["claim", &tx.to_string()]);
    let found = |f: &str| ids(&cq.list("maria", NOW, &["--filter", f, "--sort", "id"]));
    assert_eq!(found("state:tx"), [tx, tx2], "a choice matches in any case");
    assert_eq!(found("state:TX program:weight"), [tx]);
    assert_eq!(found("program:weight owner:none"), [ca]);
    assert_eq!(found("owner:me"), [tx]);
    assert_eq!(found("state:TX,ca"), [tx, tx2, ca], "a comma means either");
    let stage = cq.show("maria", NOW, tx)["stage"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(found(&format!("stage:{stage} tex")), [tx, tx2]);
    assert_eq!(found("role:ops sla:ok"), [tx, tx2, ca]);
    assert_eq!(found("sla:breached"), Vec::<i64>::new());

    // Bad terms are named, exit 1.
    let e = cq.fail("maria", NOW, &["list", "--filter", "dob:2000-01-01"]);
    assert!(
        e.contains("--filter: unknown filter `dob:`") && e.contains("state, program"),
        "{e}"
    );
    let e = cq.fail("maria", NOW, &["list", "--filter", "state:XX"]);
    assert!(e.contains("state:XX is not one of CA"), "{e}");
    let e = cq.fail("maria", NOW, &["list", "--filter", "stage:nowhere"]);
    assert!(e.contains("no stage `nowhere`"), "{e}");
}

#[test]
fn every_order_reads_in_both_directions() {
    let cq = team();
    let mut now = chrono::DateTime::parse_from_rfc3339(NOW).expect("now");
    let mut added = Vec::new();
    for name in ["bravo", "Alpha", "charlie", "Delta"] {
        now += chrono::Duration::minutes(10);
        added.push(cq.add("maria", &now.to_rfc3339(), name, &[]));
    }
    let at = now.to_rfc3339();
    let order = |s: &str| names(&cq.list("sup", &at, &["--sort", s]));
    assert_eq!(order("patient"), ["Alpha", "bravo", "charlie", "Delta"]);
    assert_eq!(
        order("patient:desc"),
        ["Delta", "charlie", "bravo", "Alpha"]
    );
    assert_eq!(
        order("age"),
        ["bravo", "Alpha", "charlie", "Delta"],
        "oldest first"
    );
    assert_eq!(order("age:asc"), ["Delta", "charlie", "Alpha", "bravo"]);
    assert_eq!(ids(&cq.list("sup", &at, &["--sort", "id:desc"])), {
        let mut v = added.clone();
        v.reverse();
        v
    });
    assert_eq!(
        order("due"),
        ["bravo", "Alpha", "charlie", "Delta"],
        "soonest due first"
    );
    let e = cq.fail("sup", &at, &["list", "--sort", "colour"]);
    assert!(e.contains("--sort: unknown sort `colour`"), "{e}");
}
