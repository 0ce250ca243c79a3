//! `ingest [FILE|-] [--atomic] [--json]`: NDJSON requests from other
//! systems (see `ops::ingest`), each line its own transaction, or all of
//! them one with `--atomic`. Idempotent on each line's operation id. A
//! refused line is named with the field at fault; a summary ends the run:
//! done, repeated, refused. Exit 1 when any line was refused.

use super::context::Ctx;
use super::out::outln;
use crate::ops::ingest::{self, Line, Outcome};
use crate::store::db;
use anyhow::{Context as _, Result, bail};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

/// Refused lines named one by one; past this, a count.
const NAMED: usize = 100;

/// One line's result.
struct Said {
    n: usize,
    op_id: Option<String>,
    outcome: std::result::Result<Outcome, String>,
}

#[derive(Default)]
struct Tally {
    done: usize,
    repeated: usize,
    refused: usize,
    named: usize,
}

impl Tally {
    /// Counts and reports `s`: on stdout as JSON with `json`, else a
    /// refusal on stderr (the first [`NAMED`]).
    fn take(&mut self, s: &Said, json: bool) -> Result<()> {
        match &s.outcome {
            Ok(Outcome::Done(_)) => self.done += 1,
            Ok(Outcome::Repeated(_)) => self.repeated += 1,
            Err(_) => self.refused += 1,
        }
        if json {
            let v = match &s.outcome {
                Ok(Outcome::Done(r)) => {
                    json!({"line": s.n, "op_id": s.op_id, "outcome": "done", "record": r})
                }
                Ok(Outcome::Repeated(r)) => {
                    json!({"line": s.n, "op_id": s.op_id, "outcome": "repeated", "record": r})
                }
                Err(e) => json!({"line": s.n, "op_id": s.op_id, "outcome": "refused", "error": e}),
            };
            outln!("{v}")?;
        } else if let Err(e) = &s.outcome {
            if self.named < NAMED {
                let op = s
                    .op_id
                    .as_deref()
                    .map(|o| format!(" (op {})", crate::present::shown(o)))
                    .unwrap_or_default();
                eprintln!("line {}{op}: {}", s.n, crate::present::clean(e));
            }
            self.named += 1;
        }
        Ok(())
    }
}

/// Lines of `r`, each at most [`ingest::MAX_LINE`] bytes (a longer one is
/// skipped to its end and said as too long, never held whole).
fn next_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<Result<(), usize>>> {
    buf.clear();
    let mut over = 0usize;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            let got = if over > 0 { Err(over) } else { Ok(()) };
            return Ok((!buf.is_empty() || over > 0).then_some(got));
        }
        let (part, end) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if over > 0 || buf.len() + part.len() > ingest::MAX_LINE {
            over += buf.len() + part.len();
            buf.clear();
        } else {
            buf.extend_from_slice(part);
        }
        let used = end.unwrap_or(part.len());
        r.consume(used);
        if end.is_some() {
            return Ok(Some(if over > 0 { Err(over) } else { Ok(()) }));
        }
    }
}

/// The lines of the input, read: a request, or why not.
fn read_all(input: &mut dyn BufRead) -> Result<Vec<(usize, std::result::Result<Line, String>)>> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut n = 0usize;
    while let Some(got) = next_line(input, &mut buf).context("reading the requests")? {
        n += 1;
        let line = match got {
            Err(len) => Err(format!(
                "the line is {len} bytes or more; the limit is {}",
                ingest::MAX_LINE
            )),
            Ok(()) => match std::str::from_utf8(&buf) {
                Err(_) => Err("not UTF-8 text".into()),
                Ok(t) if t.trim().is_empty() => continue,
                Ok(t) => ingest::parse(n, t.trim_end_matches('\r')),
            },
        };
        out.push((n, line));
    }
    Ok(out)
}

pub fn run(ctx: &Ctx, file: Option<&Path>, atomic: bool, json: bool) -> Result<()> {
    let mut input: Box<dyn BufRead> = match file {
        None => Box::new(BufReader::new(std::io::stdin())),
        Some(p) if p == Path::new("-") => Box::new(BufReader::new(std::io::stdin())),
        Some(p) => {
            let f = std::fs::File::open(p)
                .with_context(|| format!("{}: cannot be read", p.display()))?;
            Box::new(BufReader::new(f))
        }
    };
    let lines = read_all(&mut *input)?;
    let mut store = ctx.db()?;
    let actor = ctx.writer(&*store, "ingest")?;
    let p = ctx.pipeline.clone();
    let now = ctx.now();
    let mut tally = Tally::default();
    let total = lines.len();
    if atomic {
        let bad: Vec<Said> = lines
            .iter()
            .filter_map(|(n, l)| {
                l.as_ref().err().map(|e| Said {
                    n: *n,
                    op_id: None,
                    outcome: Err(e.clone()),
                })
            })
            .collect();
        if !bad.is_empty() {
            for s in &bad {
                tally.take(s, json)?;
            }
            none_ingested(total, bad.len(), json)?;
            bail!(
                "{} of {total} line(s) could not be read; nothing ingested (--atomic)",
                bad.len()
            );
        }
        let good: Vec<&Line> = lines.iter().filter_map(|(_, l)| l.as_ref().ok()).collect();
        let mut records: Vec<i64> = good.iter().filter_map(|l| l.req.record()).collect();
        records.sort_unstable();
        records.dedup();
        for r in records {
            crate::ops::reads::before_change(&mut *store, &actor.name, Some(r), "ingest")?;
        }
        let outcomes = db::write(&mut *store, |tx| {
            good.iter()
                .map(|l| ingest::apply_in(tx, &p, &actor, l, now).map_err(|e| (l.n, e.to_string())))
                .collect::<std::result::Result<Vec<Outcome>, (usize, String)>>()
                .map_err(Failed::Line)
        });
        let outcomes = match outcomes {
            Ok(o) => o,
            Err(Failed::Line((n, e))) => {
                let op_id = good.iter().find(|l| l.n == n).map(|l| l.op_id.clone());
                tally.take(
                    &Said {
                        n,
                        op_id,
                        outcome: Err(e.clone()),
                    },
                    json,
                )?;
                none_ingested(total, 1, json)?;
                bail!("line {n} was refused (named above); nothing ingested (--atomic)")
            }
            Err(Failed::Store(e)) => return Err(e.into()),
        };
        for (l, o) in good.iter().zip(outcomes) {
            tally.take(
                &Said {
                    n: l.n,
                    op_id: Some(l.op_id.clone()),
                    outcome: Ok(o),
                },
                json,
            )?;
        }
    } else {
        for (n, line) in &lines {
            let said = match line {
                Err(e) => Said {
                    n: *n,
                    op_id: None,
                    outcome: Err(e.clone()),
                },
                Ok(l) => Said {
                    n: *n,
                    op_id: Some(l.op_id.clone()),
                    outcome: apply_one(&mut *store, &p, &actor, l, now),
                },
            };
            tally.take(&said, json)?;
        }
    }
    summary(&tally, total, json)
}

/// Why an atomic ingest failed: a line refused, or the store.
enum Failed {
    Line((usize, String)),
    Store(crate::store::StoreError),
}

impl From<crate::store::StoreError> for Failed {
    fn from(e: crate::store::StoreError) -> Failed {
        Failed::Store(e)
    }
}

/// One line in a transaction of its own.
fn apply_one(
    store: &mut dyn crate::store::Db,
    p: &crate::domain::Pipeline,
    actor: &crate::ops::Actor,
    l: &Line,
    now: chrono::DateTime<chrono::Utc>,
) -> std::result::Result<Outcome, String> {
    if let Some(r) = l.req.record() {
        crate::ops::reads::before_change(store, &actor.name, Some(r), "ingest")
            .map_err(|e| e.to_string())?;
    }
    db::write(store, |tx| ingest::apply_in(tx, p, actor, l, now)).map_err(|e| e.to_string())
}

/// The summary of an `--atomic` run that applied nothing.
fn none_ingested(total: usize, refused: usize, json: bool) -> Result<()> {
    if json {
        outln!(
            "{}",
            json!({"summary": {"lines": total, "done": 0, "repeated": 0, "refused": refused}})
        )?;
    } else {
        outln!("ingested {total} line(s): none applied (--atomic), {refused} refused")?;
    }
    Ok(())
}

fn summary(t: &Tally, total: usize, json: bool) -> Result<()> {
    if json {
        outln!(
            "{}",
            json!({"summary": {"lines": total, "done": t.done, "repeated": t.repeated, "refused": t.refused}})
        )?;
    } else {
        if t.named > NAMED {
            eprintln!("… and {} more refused line(s)", t.named - NAMED);
        }
        outln!(
            "ingested {total} line(s): {} done, {} repeated, {} refused",
            t.done,
            t.repeated,
            t.refused
        )?;
    }
    std::io::stdout().flush()?;
    if t.refused > 0 {
        bail!(
            "{} of {total} line(s) refused (named above); the others were applied",
            t.refused
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_past_the_limit_is_said_too_long_and_the_next_one_read() {
        let long = "x".repeat(ingest::MAX_LINE + 10);
        let text = format!("{long}\n{{\"op\":\"claim\"}}\nlast");
        // A small buffer: the long line arrives in many pieces.
        let mut r = BufReader::with_capacity(7, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(
            next_line(&mut r, &mut buf).expect("io"),
            Some(Err(ingest::MAX_LINE + 10))
        );
        assert!(buf.len() <= ingest::MAX_LINE, "never held whole");
        assert_eq!(next_line(&mut r, &mut buf).expect("io"), Some(Ok(())));
        assert_eq!(buf, b"{\"op\":\"claim\"}");
        assert_eq!(next_line(&mut r, &mut buf).expect("io"), Some(Ok(())));
        assert_eq!(buf, b"last");
        assert_eq!(next_line(&mut r, &mut buf).expect("io"), None);
    }
}
