//! Column widths for the queue table, from what the visible rows hold: the
//! short columns (id, SLA, due, age) as wide as their widest cell, the
//! long ones (patient, stage, sub-status, owner: a role's name such as
//! `(Pharmacy / fulfillment)` can be long) sharing the rest up to what
//! they hold. An empty sub-status column gives its room away; the DUE
//! column goes before a name beside it would be cut, then sub-status.

use crate::config::Column;

/// What one column needs: the widest cell (header included) and the
/// least it can be cut to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub col: Column,
    pub want: u16,
    /// Whether any visible row has something in it.
    pub filled: bool,
}

fn is_long(c: Column) -> bool {
    matches!(
        c,
        Column::Patient | Column::Stage | Column::Substatus | Column::Owner
    )
}

/// The narrowest a long column is cut to before another column goes:
/// names need the most room to be told apart.
fn long_min(c: Column) -> u16 {
    match c {
        Column::Patient => 14,
        Column::Stage => 12,
        _ => 10,
    }
}

/// How much of a long column's want counts as whole when DUE asks for
/// room: a name of up to this many characters is not cut to keep DUE.
const WHOLE: u16 = 20;

/// The most spare cells a column gets beyond what it holds.
const MAX_AIR: u16 = 4;

/// Widths for a table `inner` cells wide (one cell between columns).
pub fn layout(inner: u16, needs: &[Need]) -> Vec<(Column, u16)> {
    let mut cols: Vec<Need> = needs
        .iter()
        .copied()
        .filter(|n| n.filled || n.col != Column::Substatus)
        .collect();
    // `whole`: the long columns but the owner at their want (up to WHOLE),
    // else at their least.
    let fits = |cols: &[Need], whole: bool| {
        let gaps = cols.len().saturating_sub(1) as u16;
        let fixed: u16 = cols
            .iter()
            .map(|n| match (is_long(n.col), whole) {
                // The owner gives way first (a role's long name), DUE or not.
                (true, true) if n.col != Column::Owner => n.want.min(WHOLE),
                (true, _) => n.want.min(long_min(n.col)),
                (false, _) => n.want,
            })
            .sum();
        fixed + gaps <= inner
    };
    // DUE stays only where the names beside it need not be cut for it.
    if !fits(&cols, true) {
        cols.retain(|n| n.col != Column::Due);
    }
    for drop in [Column::Substatus, Column::Age] {
        if fits(&cols, false) {
            break;
        }
        cols.retain(|n| n.col != drop);
    }
    let gaps = cols.len().saturating_sub(1) as u16;
    let short: u16 = cols
        .iter()
        .filter(|n| !is_long(n.col))
        .map(|n| n.want)
        .sum();
    let mut room = inner.saturating_sub(short + gaps);
    let long: Vec<Need> = cols.iter().copied().filter(|n| is_long(n.col)).collect();
    // The owner column is given its least first and the rest of its want
    // last: a role's long name gives way before a patient's.
    let mut given: Vec<u16> = long
        .iter()
        .map(|n| match n.col {
            Column::Owner => n.want.min(long_min(n.col)).min(room),
            _ => 0,
        })
        .collect();
    room -= given.iter().sum::<u16>();
    // Each long column then gets its share of the room, up to its want;
    // what a column does not need goes to the others.
    let others_open = |open: &[usize]| open.iter().any(|&i| long[i].col != Column::Owner);
    let mut open: Vec<usize> = (0..long.len())
        .filter(|&i| given[i] < long[i].want)
        .collect();
    while room > 0 && !open.is_empty() {
        if others_open(&open) {
            open.retain(|&i| long[i].col != Column::Owner);
        }
        let share = (room / open.len() as u16).max(1);
        let mut next = Vec::new();
        for &i in &open {
            let take = share.min(long[i].want - given[i]).min(room);
            given[i] += take;
            room -= take;
            if given[i] < long[i].want {
                next.push(i);
            }
        }
        if !others_open(&next)
            && let Some(o) = long.iter().position(|n| n.col == Column::Owner)
            && given[o] < long[o].want
        {
            next.push(o);
        }
        open = next;
    }
    // Room left over spreads evenly as air between the columns (a few
    // cells each at most); the rest stays blank at the right.
    let extra = (room / cols.len().max(1) as u16).min(MAX_AIR);
    cols.iter()
        .map(|n| {
            let w = match long.iter().position(|l| l.col == n.col) {
                Some(i) => given[i],
                None => n.want,
            };
            (n.col, w + extra)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(col: Column, want: u16) -> Need {
        Need {
            col,
            want,
            filled: true,
        }
    }

    fn all(sub_filled: bool) -> Vec<Need> {
        vec![
            need(Column::Id, 7),
            need(Column::Patient, 22),
            need(Column::Stage, 25),
            Need {
                col: Column::Substatus,
                want: 16,
                filled: sub_filled,
            },
            need(Column::Owner, 10),
            need(Column::Sla, 9),
            need(Column::Due, 11),
            need(Column::Age, 7),
        ]
    }

    fn width(l: &[(Column, u16)], c: Column) -> Option<u16> {
        l.iter().find(|(x, _)| *x == c).map(|(_, w)| *w)
    }

    #[test]
    fn short_columns_keep_their_content_and_long_ones_share_the_rest() {
        let l = layout(118, &all(true));
        assert_eq!(width(&l, Column::Owner), Some(10), "`(Provider)` whole");
        assert_eq!(width(&l, Column::Stage), Some(25), "the stage name whole");
        let used: u16 = l.iter().map(|(_, w)| w).sum::<u16>() + l.len() as u16 - 1;
        assert!(used <= 118 && used > 110, "the width is used: {used}");
    }

    #[test]
    fn narrow_tables_drop_due_first_then_sub_status_and_empty_ones_give_way() {
        let l = layout(78, &all(true));
        assert_eq!(width(&l, Column::Due), None);
        assert_eq!(width(&l, Column::Owner), Some(10));
        assert!(width(&l, Column::Substatus).is_some());
        let l = layout(60, &all(true));
        assert_eq!(width(&l, Column::Substatus), None);
        assert_eq!(width(&l, Column::Id), Some(7), "ids are never cut");
        let l = layout(118, &all(false));
        assert_eq!(width(&l, Column::Substatus), None, "nothing to show");
        assert!(width(&l, Column::Patient).is_some_and(|w| (22..=26).contains(&w)));
    }

    #[test]
    fn a_long_role_name_gives_way_before_a_patient() {
        let mut needs = all(false);
        needs[1].want = 17; // the patient
        needs[2].want = 16; // the stage
        needs[4].want = 24; // `(Pharmacy / fulfillment)`
        needs.retain(|n| n.col != Column::Due);
        let l = layout(78, &needs);
        assert_eq!(width(&l, Column::Patient), Some(17), "{l:?}");
        assert_eq!(width(&l, Column::Stage), Some(16), "{l:?}");
        let owner = width(&l, Column::Owner).unwrap_or(0);
        assert!((10..24).contains(&owner), "{l:?}");
    }
}
