//! The console's key reference in the book (`docs/src/console.md`, between
//! its `keys:begin` and `keys:end` markers), generated from the default
//! keymap, the actions' descriptions and the `:` commands, so the book
//! cannot drift from the keys. A test fails when the committed table is
//! stale; `CQ_BLESS=1 cargo test -p carequeue keys::doc` writes it anew.

use super::{Action, Command, Keymap, Mode};

pub const BEGIN: &str = "<!-- keys:begin -->";
pub const END: &str = "<!-- keys:end -->";

/// A key as the book shows it: `j`, `Enter`, `Ctrl-C`, `↓`.
fn shown(key: &str) -> String {
    let (ctrl, base) = match key.strip_prefix("ctrl-") {
        Some(b) => (true, b),
        None => (false, key),
    };
    let base = match base {
        "enter" => "Enter",
        "esc" => "Esc",
        "tab" => "Tab",
        "backtab" => "Shift-Tab",
        "up" => "↑",
        "down" => "↓",
        "left" => "←",
        "right" => "→",
        "pageup" => "PgUp",
        "pagedown" => "PgDn",
        "home" => "Home",
        "end" => "End",
        "space" => "Space",
        "backspace" => "Backspace",
        "|" => "\\|",
        other => other,
    };
    if ctrl {
        format!("Ctrl-{}", base.to_uppercase())
    } else if base.chars().count() == 1 && base.is_ascii() {
        format!("`{base}`")
    } else {
        base.to_string()
    }
}

fn keys(bound: &[&str]) -> String {
    bound
        .iter()
        .map(|k| shown(k))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an action does, as the book says it: its help line, and more
/// where the help line is too short to say it all.
fn what(a: Action) -> String {
    let more = match a {
        Action::OpenDetail => {
            " (fields, SLA with its wall-clock due time, history, the events you may fire); in the Audit, the records behind the row under the cursor"
        }
        Action::PrevStage | Action::NextStage => {
            "; in the Audit's stage table, between the stage and its NO OWNER count"
        }
        Action::Move => " (from the events you may fire, then the guards: a reason code, a note)",
        Action::Assign => " holding the owning role",
        Action::Substatus => " (pausing ones stop the SLA clock)",
        Action::Ack => " with a reason code from the stage's taxonomy",
        Action::Filter => " as you type; reopened, the old text is selected",
        Action::CycleOwner => ": all → mine → unassigned → mine + unassigned",
        Action::MarkAll => " (at most 10,000)",
        Action::SwitchPane => "; Audit: the next panel (each has a cursor)",
        Action::Refresh => " (the Audit view: recompute)",
        Action::Quit => " (Esc closes popups)",
        Action::RecordView => {
            " over the board and queue: the moving keys scroll the record, never the queue under it; Esc or f goes back to the pane"
        }
        Action::Mark => " (Space Space Space marks three)",
        Action::Messages => {
            ": every status message, refusal and live change, latest first, with its time; in memory only"
        }
        Action::CopyId => ", never a name, by OSC 52 where the terminal allows it",
        Action::SortNext => " (due, age, patient, id); its heading carries the arrow (DUE ↑)",
        Action::Back => ": the view, stage, owner filter, filter, cursor and pane",
        Action::Decide => {
            " (confirm = true in the pipeline): after a summary naming the patient, the decision and its outcome; Enter does not decide, Esc cancels"
        }
        _ => "",
    };
    format!("{}{more}", a.description()).replace('|', "\\|")
}

fn table(out: &mut String, rows: &[(String, String)]) {
    out.push_str("| keys | action |\n|---|---|\n");
    for (k, what) in rows {
        out.push_str(&format!("| {k} | {what} |\n"));
    }
}

/// The key reference for `km`, as Markdown.
pub fn markdown(km: &Keymap) -> String {
    let mut out = String::new();
    out.push_str("In the queue and the views:\n\n");
    let normal = km.bound(Mode::Normal);
    // The number keys, one row for all of them.
    let views: Vec<String> = normal
        .iter()
        .filter(|(a, _)| matches!(a, Action::View(_)))
        .map(|(_, k)| keys(k))
        .collect();
    let mut rows: Vec<(String, String)> = Vec::new();
    if !views.is_empty() {
        rows.push((
            views.join(", "),
            "switch to the view with that number (`:view NAME` reaches any)".into(),
        ));
    }
    rows.extend(
        normal
            .iter()
            .filter(|(a, _)| !matches!(a, Action::View(_)))
            .map(|(a, k)| (keys(k), what(*a))),
    );
    table(&mut out, &rows);
    out.push_str("\nIn pickers, confirmations and prompts:\n\n");
    let popup: Vec<(String, String)> = km
        .bound(Mode::Popup)
        .iter()
        .map(|(a, k)| (keys(k), what(*a)))
        .collect();
    table(&mut out, &popup);
    out.push_str("\nThe `:` command line (Tab completes, ↑/↓ recall this session's commands):\n\n");
    out.push_str("| command | does |\n|---|---|\n");
    for c in Command::ALL {
        let (arg, what) = match c.description().split_once(": ") {
            Some((arg, what)) => (format!(" {arg}"), what.to_string()),
            None => (String::new(), c.description().to_string()),
        };
        out.push_str(&format!(
            "| `:{}{}` | {} |\n",
            c.as_str(),
            arg.replace('|', "\\|"),
            what.replace('|', "\\|")
        ));
    }
    out
}

/// `page` with the text between the markers replaced by `table`; None if
/// the markers are missing.
pub fn spliced(page: &str, table: &str) -> Option<String> {
    let start = page.find(BEGIN)? + BEGIN.len();
    let end = page.find(END)?;
    (start <= end).then(|| format!("{}\n{}{}", &page[..start], table, &page[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_books_key_table_is_generated_from_the_keymap() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/src/console.md");
        let page = std::fs::read_to_string(path).expect("docs/src/console.md");
        let km = crate::config::defaults().keymap;
        let want = spliced(&page, &markdown(&km)).expect("the keys:begin/end markers");
        if std::env::var("CQ_BLESS").as_deref() == Ok("1") {
            std::fs::write(path, &want).expect("write console.md");
            return;
        }
        assert!(
            page == want,
            "docs/src/console.md's key table is stale: run `CQ_BLESS=1 cargo test -p carequeue keys::doc`"
        );
    }

    #[test]
    fn every_bound_action_and_command_is_in_the_table() {
        let km = crate::config::defaults().keymap;
        let md = markdown(&km);
        for (a, _) in km.bindings(Mode::Normal) {
            if !matches!(a, Action::View(_)) {
                assert!(md.contains(a.description()), "{a:?}");
            }
        }
        for c in Command::ALL {
            assert!(md.contains(&format!("`:{}", c.as_str())), "{c:?}");
        }
        // A change to the keymap shows: the table is not hard-coded.
        let mut other = km.clone();
        other.set_table(false, vec![("z".into(), Action::Quit)]);
        assert!(markdown(&other).contains("| `z` | quit"));
    }
}
