//! Colours and symbols. Every state has a symbol as well as a colour, so the
//! screen reads the same under `NO_COLOR`.

use crate::engine::sla::SlaState;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set (https://no-color.org).
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn sla(&self, s: SlaState) -> Style {
        match s {
            SlaState::Ok => Style::default(),
            SlaState::Warn => self.fg(Color::Yellow),
            SlaState::Breached => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            SlaState::Paused | SlaState::None => Style::default().add_modifier(Modifier::DIM),
        }
    }

    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        if self.color {
            Style::default()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    /// A marked row: stands out without colour too.
    pub fn marked(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
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
