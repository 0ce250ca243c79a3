//! What a key can ask the console to do ([`Action`], each with its
//! description for help), which keys ask it ([`Keymap`]), and the `:`
//! command line's commands ([`Command`]). Below both the console and its
//! configuration, so neither needs the other to name a key.

mod action;
mod command;
pub mod doc;
mod keymap;

pub use action::{Action, VIEW_KEYS};
pub use command::Command;
pub use keymap::{Keymap, Mode, key_text};
