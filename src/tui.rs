//! The console's terminal loop: raw mode and alternate screen in, always
//! restored on the way out (see `terminal`); keys to the app,
//! requests to the data worker, responses back, a frame every tick.

use crate::app::App;
use crate::app::service::Service;
use crate::app::worker::{Msg, Worker};
use crate::domain::Pipeline;
use crate::engine::Clock;
use crate::log::AccessAction;
use crate::ops::Actor;
use crate::store::Board;
use crate::ui::{self, theme::Theme};
use crossterm::event::{self, Event};
use std::sync::Arc;
use std::time::Duration;

/// Frame interval: keeps countdowns ticking and worker answers prompt.
const TICK: Duration = Duration::from_millis(100);
/// Timers and escalations fire this often while the console is open.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// How often the console delivers webhooks (when it does) and reads which
/// targets keep failing.
const DELIVER_EVERY: Duration = Duration::from_secs(2);
/// A checkpoint line is appended this often when a head moved.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(300);

/// How the console runs, beyond the database and the user.
pub struct Options {
    /// Lock the screen after this long without a key.
    pub idle_lock: Option<Duration>,
    /// The header's label for a what-if pipeline (changes are refused).
    pub what_if: Option<String>,
    /// The state file remembering the last view (`None`: nothing kept).
    pub state: Option<std::path::PathBuf>,
    /// Keys, aliases, columns, theme, mouse.
    pub config: crate::config::Config,
    /// The webhook deliverer, when a notify.toml was found.
    pub deliverer: Option<crate::ops::notify::Deliverer>,
}

pub fn run(
    pipeline: Arc<Pipeline>,
    store: Box<dyn Board>,
    clock: Arc<dyn Clock>,
    user: Actor,
    opts: Options,
) -> anyhow::Result<()> {
    let Options {
        idle_lock,
        what_if,
        state,
        config,
        deliverer,
    } = opts;
    let mut app = App::new(pipeline.clone(), user.user().clone(), clock.now());
    app.configure(&config);
    // The database as the state file names it: a path, or a URL.
    let path = std::path::PathBuf::from(store.label());
    app.resume = state
        .as_deref()
        .and_then(|f| crate::state_file::load(f, &path, &user.name));
    app.mode_label = match (&what_if, user.trusted()) {
        (Some(w), _) => Some(w.clone()),
        (None, true) => Some("trust mode".to_string()),
        (None, false) => None,
    };
    let mut store = store;
    crate::ops::reads::log_read(
        &mut *store,
        &user,
        AccessAction::ConsoleOpen,
        None,
        None,
        clock.now(),
    )?;
    let closer = user.clone();
    let mut service = Service::new(
        pipeline,
        store,
        clock.clone(),
        user,
        what_if.map(|w| format!("{w}: changes are refused")),
    );
    if let Some(d) = deliverer {
        service.deliver_with(d);
    }
    let worker = Worker::spawn(service);
    // A terminal that hangs up ends the console: its end is logged by the
    // worker, and the process goes (its screen went with the terminal).
    // The watchdog's hold on the worker is given up before the worker is
    // asked to finish (a sender left would keep it waiting for requests).
    let lost = std::sync::Arc::new(std::sync::Mutex::new(Some(worker.tx.clone())));
    let watched = lost.clone();
    crate::terminal::watch_hangup(move || {
        let tx = watched.lock().ok().and_then(|mut t| t.take());
        if let Some(tx) = tx {
            let _ = tx.send(crate::app::service::Request::TerminalLost);
            std::thread::sleep(std::time::Duration::from_millis(1500));
            std::process::exit(1);
        }
    });
    let theme = Theme::new(config.theme);
    let (mut terminal, mouse) = crate::terminal::take(config.mouse)?;
    app.mouse = mouse;
    let result = (|| -> anyhow::Result<()> {
        worker.send(app.start());
        let mut last_sweep = std::time::Instant::now();
        let mut last_delivery = std::time::Instant::now();
        let mut last_checkpoint = std::time::Instant::now();
        let mut last_input = std::time::Instant::now();
        loop {
            if last_sweep.elapsed() >= SWEEP_EVERY {
                last_sweep = std::time::Instant::now();
                worker.send(vec![crate::app::service::Request::Sweep]);
            }
            if last_delivery.elapsed() >= DELIVER_EVERY {
                last_delivery = std::time::Instant::now();
                worker.send(vec![crate::app::service::Request::Deliver]);
            }
            if last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                last_checkpoint = std::time::Instant::now();
                worker.send(vec![crate::app::service::Request::Checkpoint]);
            }
            let size = terminal.size()?;
            ui::fit_app(
                &mut app,
                ratatui::layout::Rect::new(0, 0, size.width, size.height),
            );
            terminal.draw(|f| ui::draw(f, &app, &theme))?;
            if crate::terminal::ending() {
                return Ok(());
            }
            // A signal interrupting the wait is not an error: the loop
            // looks at what it asked for next time round.
            let ready = match event::poll(TICK) {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => false,
                Err(e) => return Err(e.into()),
            };
            if ready {
                match event::read()? {
                    Event::Key(k) => {
                        last_input = std::time::Instant::now();
                        let reqs = app.on_key(k);
                        worker.send(reqs);
                        if let Some(text) = app.clipboard.take() {
                            crossterm::execute!(
                                terminal.backend_mut(),
                                crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                            )?;
                        }
                    }
                    Event::Mouse(m) => {
                        use crossterm::event::{MouseButton, MouseEventKind};
                        let reqs = match m.kind {
                            MouseEventKind::Down(MouseButton::Left) => {
                                let area =
                                    ratatui::layout::Rect::new(0, 0, size.width, size.height);
                                app.on_click(ui::hit::hit(area, &app, m.column, m.row))
                            }
                            MouseEventKind::ScrollDown => app.on_wheel(true),
                            MouseEventKind::ScrollUp => app.on_wheel(false),
                            _ => Vec::new(),
                        };
                        worker.send(reqs);
                    }
                    Event::Resize(_, _) => terminal.autoresize()?,
                    _ => {}
                }
            }
            loop {
                match worker.rx.try_recv() {
                    Ok(Msg::Response(r)) => {
                        let reqs = app.on_response(r);
                        worker.send(reqs);
                    }
                    Ok(Msg::Changed) => {
                        let reqs = app.on_data_changed();
                        worker.send(reqs);
                    }
                    Ok(Msg::Link(lost)) => app.link_lost = lost,
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        anyhow::bail!("the data worker stopped unexpectedly")
                    }
                }
            }
            app.tick(clock.now());
            if idle_lock.is_some_and(|d| last_input.elapsed() >= d) {
                app.locked = true;
            }
            if app.quit {
                return Ok(());
            }
        }
    })();
    crate::terminal::give_back();
    if let Ok(mut t) = lost.lock() {
        t.take();
    }
    // The console's one session, back from the worker: its end is logged
    // there (the session is opened again if the server was lost).
    let store = worker.finish();
    if let Some(f) = &state
        && app.revoked.is_none()
        && let Err(e) = crate::state_file::save(f, &path, &closer.name, app.resume_point())
    {
        eprintln!(
            "note: the last view was not remembered ({}): {e}",
            f.display()
        );
    }
    let closed = match store {
        Some(s) => close(s, &closer, clock.now()),
        None => Err(anyhow::anyhow!(
            "the console's data worker stopped unexpectedly: its close was not logged"
        )),
    };
    result.and(closed)
}

/// The session's end in the access log, and a last checkpoint line.
fn close(
    mut store: Box<dyn Board>,
    user: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    // Logged also after access was withdrawn: the session's end is part of
    // the record of who had patient data on screen, and until when.
    let why = crate::ops::identity::revoked(&*store, user)?.map(|_| "access withdrawn");
    crate::ops::reads::log_read(
        &mut *store,
        user,
        AccessAction::ConsoleClose,
        None,
        why,
        now,
    )?;
    crate::ops::checkpoints::auto(&*store, now)?;
    Ok(())
}
