//! Durations as written in `pipeline.toml`: "45m", "4h", "1h30m", "2d", "-7d".

use std::fmt;

/// A span of time in whole seconds. Negative only where a file allows an
/// offset before a date (timer `offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Secs(pub i64);

impl Secs {
    pub fn parse(text: &str) -> Option<Secs> {
        let t = text.trim();
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        if body.is_empty() {
            return None;
        }
        let mut total: i64 = 0;
        let mut digits = String::new();
        for ch in body.chars() {
            if ch.is_ascii_digit() {
                digits.push(ch);
                continue;
            }
            let unit = match ch {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return None,
            };
            let n: i64 = digits.parse().ok()?;
            total = total.checked_add(n.checked_mul(unit)?)?;
            digits.clear();
        }
        if !digits.is_empty() {
            return None;
        }
        Some(Secs(if neg { -total } else { total }))
    }

    /// Compact human form used by countdowns: `3h12m`, `2d04h`, `45s`.
    pub fn compact(self) -> String {
        let s = self.0.abs();
        let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
        if d > 0 {
            format!("{d}d{h:02}h")
        } else if h > 0 {
            format!("{h}h{m:02}m")
        } else if m > 0 {
            format!("{m}m")
        } else {
            format!("{s}s")
        }
    }
}

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            write!(f, "-")?;
        }
        write!(f, "{}", self.compact())
    }
}

#[cfg(test)]
mod tests {
    use super::Secs;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(Secs::parse("45m"), Some(Secs(2700)));
        assert_eq!(Secs::parse("1h30m"), Some(Secs(5400)));
        assert_eq!(Secs::parse("2d"), Some(Secs(172_800)));
        assert_eq!(Secs::parse("-7d"), Some(Secs(-604_800)));
        assert_eq!(Secs::parse("0m"), Some(Secs(0)));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "4",
            "h",
            "4x",
            "1.5h",
            "--1h",
            "4h30",
            "99999999999999999999d",
        ] {
            assert_eq!(Secs::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn compact_forms() {
        assert_eq!(Secs(3 * 3600 + 12 * 60).compact(), "3h12m");
        assert_eq!(Secs(2 * 86_400 + 4 * 3600).compact(), "2d04h");
        assert_eq!(Secs(65).compact(), "1m");
        assert_eq!(Secs(-3900).compact(), "1h05m");
    }
}
