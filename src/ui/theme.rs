//! Colours and symbols. Every state has a symbol as well as a colour, so the
//! screen reads the same under `NO_COLOR`.

use crate::config::ThemeName;
use crate::engine::sla::SlaState;
use ratatui::style::{Color, Modifier, Style};

/// The colours a theme gives each role; `None` where it uses none.
#[derive(Debug, Clone, Copy)]
struct Palette {
    warn: Option<Color>,
    breached: Option<Color>,
    title: Option<Color>,
    selected: Option<(Color, Color)>,
    marked: Option<Color>,
    ok: Option<Color>,
    /// Whether dim text is dimmed (high contrast keeps it plain).
    dim: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    palette: Palette,
}

impl Theme {
    /// The named theme; `NO_COLOR` (https://no-color.org) makes any mono.
    pub fn new(name: ThemeName) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::named(if no_color { ThemeName::Mono } else { name })
    }

    /// No colour: every state still has its symbol.
    pub fn mono() -> Theme {
        Theme::named(ThemeName::Mono)
    }

    pub fn named(name: ThemeName) -> Theme {
        let palette = match name {
            ThemeName::Default => Palette {
                warn: Some(Color::Yellow),
                breached: Some(Color::Red),
                title: Some(Color::Cyan),
                selected: Some((Color::Blue, Color::White)),
                marked: Some(Color::Yellow),
                ok: Some(Color::Green),
                dim: true,
            },
            ThemeName::HighContrast => Palette {
                warn: Some(Color::LightYellow),
                breached: Some(Color::LightRed),
                title: Some(Color::White),
                selected: Some((Color::White, Color::Black)),
                marked: Some(Color::LightYellow),
                ok: Some(Color::White),
                dim: false,
            },
            // Okabe and Ito's palette: yellow and vermillion for warn and
            // breach, sky blue for good news; never red against green.
            ThemeName::Colorblind => Palette {
                warn: Some(Color::Rgb(240, 228, 66)),
                breached: Some(Color::Rgb(213, 94, 0)),
                title: Some(Color::Rgb(86, 180, 233)),
                selected: Some((Color::Rgb(0, 114, 178), Color::White)),
                marked: Some(Color::Rgb(240, 228, 66)),
                ok: Some(Color::Rgb(86, 180, 233)),
                dim: true,
            },
            ThemeName::Mono => Palette {
                warn: None,
                breached: None,
                title: None,
                selected: None,
                marked: None,
                ok: None,
                dim: true,
            },
        };
        Theme { palette }
    }

    fn fg(c: Option<Color>) -> Style {
        c.map_or(Style::default(), |c| Style::default().fg(c))
    }

    pub fn sla(&self, s: SlaState) -> Style {
        match s {
            SlaState::Ok => Style::default(),
            SlaState::Warn => Theme::fg(self.palette.warn),
            SlaState::Breached => Theme::fg(self.palette.breached).add_modifier(Modifier::BOLD),
            SlaState::Paused | SlaState::None => self.dim(),
        }
    }

    pub fn title(&self) -> Style {
        Theme::fg(self.palette.title).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        match self.palette.selected {
            Some((bg, fg)) => Style::default().bg(bg).fg(fg).add_modifier(Modifier::BOLD),
            None => Style::default().add_modifier(Modifier::REVERSED),
        }
    }

    /// The Breaches group of the selected record, while the keys are on
    /// the records.
    pub fn followed(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn plain(&self) -> Style {
        Style::default()
    }

    /// A marked row: stands out without colour too.
    pub fn marked(&self) -> Style {
        let s = Theme::fg(self.palette.marked).add_modifier(Modifier::BOLD);
        if self.palette.marked.is_none() {
            s.add_modifier(Modifier::UNDERLINED)
        } else {
            s
        }
    }

    pub fn dim(&self) -> Style {
        if self.palette.dim {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default()
        }
    }

    pub fn error(&self) -> Style {
        Theme::fg(self.palette.breached).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        Theme::fg(self.palette.ok)
    }

    pub fn key(&self) -> Style {
        Theme::fg(self.palette.title).add_modifier(Modifier::BOLD)
    }
}

/// The symbol shown before a countdown.
pub fn sla_symbol(s: SlaState) -> &'static str {
    match s {
        SlaState::Ok => "●",
        SlaState::Warn => "▲",
        SlaState::Breached => "✖",
        SlaState::Paused => "‖",
        SlaState::None => "·",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The colour-blind theme never shows red or green; every theme tells
    /// a breach from a warning by more than the symbol.
    #[test]
    fn themes_keep_states_apart_and_the_colorblind_one_avoids_red_and_green() {
        let t = Theme::named(ThemeName::Colorblind);
        for s in [
            t.sla(SlaState::Warn),
            t.sla(SlaState::Breached),
            t.ok(),
            t.error(),
        ] {
            assert!(
                !matches!(
                    s.fg,
                    Some(Color::Red | Color::Green | Color::LightRed | Color::LightGreen)
                ),
                "{s:?}"
            );
        }
        for name in ThemeName::ALL {
            let t = Theme::named(name);
            assert_ne!(t.sla(SlaState::Warn), t.sla(SlaState::Breached), "{name:?}");
        }
        let mono = Theme::mono();
        assert_eq!(mono.sla(SlaState::Breached).fg, None);
        assert!(mono.selected().add_modifier.contains(Modifier::REVERSED));
    }
}
