//! The `:` command line's own commands. Their names are what people type;
//! help, completion and the configuration's alias check all read them
//! from here, so none can drift from the command line itself.

use std::str::FromStr;

/// A command of the `:` command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `:go ID`: open a record wherever it is.
    Go,
    /// `:view NAME`: switch view; `:view delete NAME` deletes a saved one.
    View,
    /// `:stage ID`: show one stage.
    Stage,
    /// `:owner NAME|me|none|all`: whose records.
    Owner,
    /// `:filter EXPR`: filter the queue.
    Filter,
    /// `:sort KEY [asc|desc]`: order the queue.
    Sort,
    /// `:mark EXPR`: mark every record matching EXPR here.
    Mark,
    /// `:columns ID,ID…|default`: the queue's columns.
    Columns,
    /// `:save NAME`: save this view.
    Save,
    /// `:q` (or `:quit`): quit.
    Quit,
}

impl Command {
    /// Every command, in the order help lists them.
    pub const ALL: [Command; 10] = [
        Command::Go,
        Command::View,
        Command::Stage,
        Command::Owner,
        Command::Filter,
        Command::Sort,
        Command::Mark,
        Command::Columns,
        Command::Save,
        Command::Quit,
    ];

    /// The name people type (the short one, where there are two).
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Go => "go",
            Command::View => "view",
            Command::Stage => "stage",
            Command::Owner => "owner",
            Command::Filter => "filter",
            Command::Sort => "sort",
            Command::Mark => "mark",
            Command::Columns => "columns",
            Command::Save => "save",
            Command::Quit => "q",
        }
    }

    /// Its argument and what it does, for help and completion.
    pub fn description(self) -> &'static str {
        match self {
            Command::Go => "ID: open a record wherever it is",
            Command::View => {
                "NAME: switch view (name or number); `delete NAME` deletes a saved one"
            }
            Command::Stage => "ID: show one stage (its id or name)",
            Command::Owner => "NAME|me|none|all: whose records",
            Command::Filter => "EXPR: filter the queue (empty clears)",
            Command::Sort => "due|age|patient|id [asc|desc]: order the queue",
            Command::Mark => "EXPR: mark every record matching EXPR here",
            Command::Columns => "ID,ID…|default: the queue's columns, in order",
            Command::Save => "NAME: save this view (filter, order, owner, stage, columns)",
            Command::Quit => "quit",
        }
    }
}

impl FromStr for Command {
    type Err = ();

    /// A command by any name it answers to (`q` and `quit` alike).
    fn from_str(s: &str) -> Result<Command, ()> {
        match s {
            "quit" => Ok(Command::Quit),
            _ => Command::ALL.into_iter().find(|c| c.as_str() == s).ok_or(()),
        }
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Command;

    #[test]
    fn every_command_reads_back_from_its_name() {
        for c in Command::ALL {
            assert_eq!(c.as_str().parse::<Command>(), Ok(c));
        }
        assert_eq!("quit".parse::<Command>(), Ok(Command::Quit));
        assert!("goo".parse::<Command>().is_err());
    }
}
