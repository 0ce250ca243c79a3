//! The report as a Markdown table.

use super::Line;

/// A part of the report with a header line of its own (the PostgreSQL
/// rows: its server settings and record count).
pub struct Section {
    pub title: String,
    pub lines: Vec<Line>,
}

pub fn print_report(records: usize, out: &[Line]) {
    println!("\ncarequeue performance report ({records} records)\n");
    if !out.is_empty() {
        table(out);
    }
}

pub fn print_section(s: &Section) {
    println!("\n{}\n", s.title);
    table(&s.lines);
}

fn table(out: &[Line]) {
    let w = [
        out.iter().map(|l| l.work.len()).max().unwrap_or(4),
        out.iter()
            .map(|l| l.budget.chars().count())
            .max()
            .unwrap_or(6),
        out.iter()
            .map(|l| l.ours.chars().count())
            .max()
            .unwrap_or(4),
    ];
    println!(
        "| {:<w0$} | {:<w1$} | {:<w2$} | raw floor |",
        "work",
        "budget",
        "carequeue",
        w0 = w[0],
        w1 = w[1],
        w2 = w[2]
    );
    println!(
        "|{}|{}|{}|---|",
        "-".repeat(w[0] + 2),
        "-".repeat(w[1] + 2),
        "-".repeat(w[2] + 2)
    );
    for l in out {
        println!(
            "| {:<w0$} | {:<w1$} | {:<w2$} | {} |",
            l.work,
            l.budget,
            l.ours,
            l.raw,
            w0 = w[0],
            w1 = w[1] - l.budget.chars().count() + l.budget.len(),
            w2 = w[2] - l.ours.chars().count() + l.ours.len()
        );
    }
}
