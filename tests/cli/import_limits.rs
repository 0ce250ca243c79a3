//! An import's input is bounded: a header line longer than 1 MiB or wider
//! than 1,000 columns is refused as a whole (not column by column), the
//! problems printed stop at the first 100 with the total counted, ids stay
//! at most 2^52 so later records keep numbering in order, and entry times
//! before 1970 are refused. Nothing of a refused file is written.

use crate::common::{ADMIN, Cq};

const NOW: &str = "2026-11-26T15:00:00Z";

fn write(cq: &Cq, name: &str, text: &str) {
    std::fs::write(cq.dir.path().join(name), text).expect("write csv");
}

fn records(cq: &Cq) -> usize {
    cq.list(ADMIN, NOW, &[]).len()
}

#[test]
fn a_huge_header_is_refused_whole_and_quickly() {
    let cq = Cq::init_default(NOW);
    // A million columns, about 8.9 MB on one line.
    let mut wide = String::from("patient");
    for i in 0..1_000_000 {
        wide.push_str(&format!(",c{i}"));
    }
    wide.push('\n');
    write(&cq, "wide.csv", &wide);
    let err = cq.fail_with_report(ADMIN, NOW, &["import", "wide.csv"]);
    assert!(
        err.contains("the header line is longer than 1048576 bytes"),
        "{err}"
    );
    assert!(err.len() < 1000, "one short error, not a line per column");

    // 2,000 columns fit in the line but not in the header.
    let mut wide = String::from("patient");
    for i in 0..2000 {
        wide.push_str(&format!(",c{i}"));
    }
    wide.push('\n');
    write(&cq, "wide2.csv", &wide);
    let err = cq.fail_with_report(ADMIN, NOW, &["import", "wide2.csv"]);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0]
            .contains(":1:column 1001: the header has 2001 columns; carequeue reads at most 1000"),
        "{err}"
    );
    assert!(
        lines[1].ends_with("1 problem(s); nothing imported"),
        "{err}"
    );
    assert_eq!(records(&cq), 0);
}

#[test]
fn problems_are_printed_up_to_a_hundred_and_all_are_counted() {
    let cq = Cq::init_default(NOW);
    let mut text = String::from("patient,dob\n");
    for i in 0..500 {
        text.push_str(&format!("P{i},not-a-date\n"));
    }
    write(&cq, "bad.csv", &text);
    let err = cq.fail_with_report(ADMIN, NOW, &["import", "bad.csv"]);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 101, "100 problems and the error");
    assert!(lines[0].starts_with("bad.csv:2:dob: "), "{}", lines[0]);
    assert!(lines[99].starts_with("bad.csv:101:dob: "), "{}", lines[99]);
    assert_eq!(
        lines[100],
        "error: bad.csv: 500 problem(s); nothing imported (the first 100 are shown)"
    );
    // Under the cap, the summary is as it always was.
    write(&cq, "few.csv", "patient,dob\nA,x\nB,y\n");
    let err = cq.fail_with_report(ADMIN, NOW, &["import", "few.csv"]);
    assert!(
        err.trim_end()
            .ends_with("error: few.csv: 2 problem(s); nothing imported"),
        "{err}"
    );
    assert_eq!(records(&cq), 0);
}

#[test]
fn ids_past_two_to_the_52_and_times_before_1970_are_refused() {
    let cq = Cq::init_default(NOW);
    write(
        &cq,
        "ids.csv",
        "id,patient\n9223372036854775807,Max Id\n4503599627370497,Past\n",
    );
    let err = cq.fail_with_report(ADMIN, NOW, &["import", "ids.csv"]);
    for row in [2, 3] {
        assert!(
            err.contains(&format!(
                "ids.csv:{row}:id: must be at most 4503599627370496 (2^52)"
            )),
            "{err}"
        );
    }
    write(
        &cq,
        "old.csv",
        "patient,entered_at\nOld One,1969-06-01T00:00:00Z\n",
    );
    let err = cq.fail_with_report(ADMIN, NOW, &["import", "old.csv"]);
    assert!(
        err.contains("old.csv:2:entered_at: is before 1970"),
        "{err}"
    );
    assert_eq!(records(&cq), 0);

    // The largest id allowed is kept, and the next record follows it.
    write(&cq, "top.csv", "id,patient\n4503599627370496,Top Id\n");
    cq.ok(ADMIN, NOW, &["import", "top.csv"]);
    let next = cq.add(ADMIN, NOW, "After Top", &[]);
    assert_eq!(next, 4503599627370497);
}
