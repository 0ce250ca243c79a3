use clap::Parser;
use std::process::ExitCode;

/// A faster allocator than the system one for the many small, short-lived
/// allocations of simulation, import and audit.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    drop_empty_settings();
    quiet_on_closed_pipe();
    let cli = carequeue::cli::args::Cli::parse();
    match carequeue::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<carequeue::cli::Reported>().is_some() => ExitCode::from(1),
        Err(e) => {
            // What the user typed may come back in the message: neutralise it.
            eprintln!("error: {}", carequeue::present::clean(&one_line(&e)));
            ExitCode::from(1)
        }
    }
}

/// An empty `CAREQUEUE_*` variable is unset, as an empty `PGHOST` is to
/// libpq: `CAREQUEUE_PIPELINE=` names no file called "".
fn drop_empty_settings() {
    let empty: Vec<std::ffi::OsString> = std::env::vars_os()
        .filter(|(k, v)| v.is_empty() && k.to_str().is_some_and(|k| k.starts_with("CAREQUEUE_")))
        .map(|(k, _)| k)
        .collect();
    for k in empty {
        // SAFETY: the first thing main does, before any other thread
        // exists, so nothing reads the environment meanwhile.
        unsafe { std::env::remove_var(k) };
    }
}

/// The error and its causes on one line: "what: why".
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in e.chain() {
        let s = c.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ").replace('\n', " ")
}

/// Commands write data through a locked stdout and end quietly when the
/// reader closed the pipe (`carequeue ... | head`); this is the backstop for
/// any `println!` still left: its panic on a closed pipe becomes a quiet
/// exit 0 instead of a panic message. Every other panic is reported as ever.
fn quiet_on_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload_as_str().unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        report(info);
    }));
}
