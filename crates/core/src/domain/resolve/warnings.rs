//! Early warnings of a stage's SLA: `warn_at` thresholds and the `repeat`
//! after the breach, the stage's own or else `[sla_defaults]`.

use super::{Resolver, S, sp};
use crate::domain::codes as c;
use crate::domain::duration::Secs;
use crate::domain::model::Threshold;

impl Resolver {
    /// The thresholds and repeat of stage `id` whose SLA maximum is `max`:
    /// its own `warn_at` and `repeat` where given, else the defaults'.
    pub(super) fn warnings(
        &mut self,
        id: &str,
        max: Secs,
        warn_at: Option<&Vec<S>>,
        repeat: Option<&S>,
    ) -> Option<(Vec<Threshold>, Option<Secs>)> {
        let (d_warn, d_repeat) = self.warn_defaults.clone();
        let list = warn_at.or(d_warn.as_ref());
        let mut out: Vec<Threshold> = Vec::new();
        let mut ok = true;
        for w in list.map(Vec::as_slice).unwrap_or_default() {
            match self.threshold(id, max, w) {
                Some(t) if out.iter().any(|o| o.after == t.after) => {
                    self.err(
                        c::BAD_DURATION,
                        sp(w),
                        format!("stage `{id}`: warning `{}` is given twice", w.get_ref()),
                    );
                    ok = false;
                }
                Some(t) => out.push(t),
                None => ok = false,
            }
        }
        out.sort_by_key(|t| t.after);
        let repeat = match repeat.or(d_repeat.as_ref()) {
            None => Some(None),
            Some(r) => self
                .duration(r, "SLA `repeat`")
                .map(|d| (d.0 > 0).then_some(d)),
        };
        let repeat = repeat?;
        ok.then_some((out, repeat))
    }

    /// One `warn_at` item: a percentage of `max` (1-99%) or a working time
    /// below it.
    fn threshold(&mut self, id: &str, max: Secs, w: &S) -> Option<Threshold> {
        let text = w.get_ref().trim();
        let after = match text.strip_suffix('%') {
            Some(pct) => match pct.trim().parse::<i64>() {
                Ok(p) if (1..=99).contains(&p) => Secs(max.0 * p / 100),
                _ => {
                    self.err(
                        c::BAD_DURATION,
                        sp(w),
                        format!("stage `{id}`: malformed warning `{text}` (a percentage 1-99%, or a working time below the SLA max)"),
                    );
                    return None;
                }
            },
            None => self.duration(w, "SLA `warn_at`")?,
        };
        if after.0 <= 0 || after >= max {
            self.err(
                c::WARN_NOT_BELOW_MAX,
                sp(w),
                format!("stage `{id}`: warning `{text}` is not between the stay's start and the SLA max {max}"),
            );
            return None;
        }
        Some(Threshold {
            after,
            label: text.to_string(),
        })
    }
}
