//! `completions` and `man`: the shell completion scripts and the manual
//! page, generated from the command definitions (clap_complete,
//! clap_mangen), so neither can drift from the commands themselves.

use super::args::Cli;
use anyhow::Result;
use clap::CommandFactory;
use std::io::Write;

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = Cli::command();
    // Into memory first: the generator panics on a write error, and a
    // reader that closes the pipe early is not one.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "carequeue", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}

pub fn man() -> Result<()> {
    let mut out = std::io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command's and option's summary is one line that fits a
    /// terminal; the details go in the long help (`--help`, the man page).
    #[test]
    fn every_summary_is_one_short_line() {
        fn check(cmd: &clap::Command, path: &str, bad: &mut Vec<String>) {
            let long = |t: &str| t.contains('\n') || t.chars().count() > 80;
            for sub in cmd.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                if let Some(about) = sub.get_about().map(|a| a.to_string())
                    && long(&about)
                {
                    bad.push(format!("`{name}`: {about}"));
                }
                check(sub, &name, bad);
            }
            for arg in cmd.get_arguments() {
                if let Some(help) = arg.get_help().map(|h| h.to_string())
                    && long(&help)
                {
                    bad.push(format!("`{path} --{}`: {help}", arg.get_id()));
                }
            }
        }
        let mut bad = Vec::new();
        check(&Cli::command(), "carequeue", &mut bad);
        assert!(
            bad.is_empty(),
            "summaries too long for one line:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn the_man_page_and_completions_name_every_command() {
        let mut page = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut page)
            .expect("render");
        let page = String::from_utf8_lossy(&page);
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "carequeue",
            &mut script,
        );
        let script = String::from_utf8_lossy(&script);
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name();
            assert!(page.contains(&name.replace('-', "\\-")), "man page: {name}");
            assert!(script.contains(name), "completions: {name}");
        }
    }
}
