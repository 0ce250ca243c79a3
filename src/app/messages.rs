//! The session's message log: every status message, refusal and live
//! change the status line showed, kept in memory for this session only (it
//! names patients, as the status line does, and is never written out), so
//! a message overwritten a moment later is not lost. `@` shows it.

use chrono::{DateTime, Utc};

/// Messages kept; the oldest go first.
pub const KEPT: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub at: DateTime<Utc>,
    pub text: String,
    pub error: bool,
    /// The same message again, straight after itself (a refusal repeated).
    pub times: usize,
    /// Said as the user types (a filter's): the next such replaces it.
    pub live: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Messages {
    list: std::collections::VecDeque<Message>,
}

impl Messages {
    pub fn push(&mut self, at: DateTime<Utc>, text: &str, error: bool) {
        if let Some(last) = self.list.back_mut()
            && last.text == text
            && last.error == error
        {
            last.times += 1;
            last.at = at;
            return;
        }
        if self.list.len() == KEPT {
            self.list.pop_front();
        }
        self.list.push_back(Message {
            at,
            text: text.to_string(),
            error,
            times: 1,
            live: false,
        });
    }

    /// A message said as the user types: it replaces the one before it if
    /// that was one too, so a filter typed letter by letter leaves one line.
    pub fn replace_live(&mut self, at: DateTime<Utc>, text: &str, error: bool) {
        if let Some(last) = self.list.back_mut()
            && last.live
        {
            last.text = text.to_string();
            last.error = error;
            last.at = at;
            return;
        }
        self.push(at, text, error);
        if let Some(last) = self.list.back_mut() {
            last.live = true;
        }
    }

    /// Latest first.
    pub fn latest_first(&self) -> impl Iterator<Item = &Message> {
        self.list.iter().rev()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_fold_and_the_oldest_go_first() {
        let t = Utc::now();
        let mut m = Messages::default();
        m.push(t, "a", false);
        m.push(t, "a", false);
        m.push(t, "a", true);
        assert_eq!(m.len(), 2);
        assert_eq!(m.latest_first().nth(1).map(|x| x.times), Some(2));
        for i in 0..KEPT + 5 {
            m.push(t, &i.to_string(), false);
        }
        assert_eq!(m.len(), KEPT);
        assert_eq!(
            m.latest_first().last().map(|x| x.text.clone()),
            Some("5".to_string())
        );
    }

    #[test]
    fn a_filter_typed_letter_by_letter_leaves_one_line() {
        let t = Utc::now();
        let mut m = Messages::default();
        m.push(t, "claimed", false);
        for typed in [
            "filter: s",
            "filter: sl",
            "sla:b is not…",
            "filter: sla:breached",
        ] {
            m.replace_live(t, typed, typed.contains("not"));
        }
        m.push(t, "record 3: claimed", false);
        m.replace_live(t, "filter: x", false);
        let all: Vec<&str> = m.latest_first().map(|x| x.text.as_str()).collect();
        assert_eq!(
            all,
            [
                "filter: x",
                "record 3: claimed",
                "filter: sla:breached",
                "claimed"
            ]
        );
    }
}
