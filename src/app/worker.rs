//! The data worker: a thread that owns its own database connection, answers
//! requests, and asks its store what it heard of other people's commits
//! (and of a lost or regained link), so the input thread never waits on
//! the database.

use super::service::{Request, Response, Service};
use crate::store::{Board, Heard};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the worker asks its store for changes made by other
/// processes when the store cannot say (it says how often otherwise).
pub const POLL: Duration = Duration::from_millis(500);

pub enum Msg {
    Response(Response),
    /// Someone else committed: the screen should be re-read.
    Changed,
    /// The live connection: lost (why; retrying), or back (None).
    Link(Option<String>),
}

pub struct Worker {
    pub tx: Sender<Request>,
    pub rx: Receiver<Msg>,
    /// The thread, which hands the store back when it ends.
    handle: JoinHandle<Box<dyn Board>>,
}

impl Worker {
    pub fn spawn(mut service: Service) -> Worker {
        let (req_tx, req_rx) = channel::<Request>();
        let (msg_tx, msg_rx) = channel::<Msg>();
        let handle = std::thread::spawn(move || {
            serve(&mut service, &req_rx, &msg_tx);
            service.stop_delivering();
            service.store
        });
        Worker {
            tx: req_tx,
            rx: msg_rx,
            handle,
        }
    }

    pub fn send(&self, reqs: Vec<Request>) {
        for r in reqs {
            // A closed worker is reported by the main loop when it reads.
            let _ = self.tx.send(r);
        }
    }

    /// Stops the worker and hands its store back (its one session, where
    /// the console's end is logged); None if the worker panicked.
    pub fn finish(self) -> Option<Box<dyn Board>> {
        let Worker { tx, rx, handle } = self;
        drop(tx);
        drop(rx);
        handle.join().ok()
    }
}

/// The worker's loop: requests answered in order, and between them what
/// the store heard of other people's commits; until the console goes.
fn serve(service: &mut Service, req_rx: &Receiver<Request>, msg_tx: &Sender<Msg>) {
    // A store that cannot listen is read only when the user acts.
    let every = service.store.listen().unwrap_or(POLL);
    loop {
        match req_rx.recv_timeout(every) {
            Ok(Request::Audit) => {
                if let Some(refused) = service.begin_audit() {
                    if msg_tx.send(Msg::Response(refused)).is_err() {
                        return;
                    }
                    continue;
                }
                audit_aside(service, msg_tx.clone());
            }
            Ok(Request::Trend) => {
                if let Some(refused) = service.begin_audit() {
                    let refused = match refused {
                        Response::AuditFailed(why) => Response::TrendFailed(why),
                        other => other,
                    };
                    if msg_tx.send(Msg::Response(refused)).is_err() {
                        return;
                    }
                    continue;
                }
                trend_aside(service, msg_tx.clone());
            }
            Ok(req) => {
                let r = service.handle(req);
                if msg_tx.send(Msg::Response(r)).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => service.store.idle(),
            Err(RecvTimeoutError::Disconnected) => return,
        }
        for h in service.store.heard() {
            let sent = match h {
                Heard::Changed => msg_tx.send(Msg::Changed).is_ok(),
                Heard::Lost(why) => msg_tx.send(Msg::Link(Some(why))).is_ok(),
                Heard::Back => {
                    msg_tx.send(Msg::Link(None)).is_ok() && msg_tx.send(Msg::Changed).is_ok()
                }
            };
            if !sent {
                return;
            }
        }
    }
}

/// The trend: an audit per week, on a thread and a connection of its own.
fn trend_aside(service: &Service, tx: Sender<Msg>) {
    let (pipeline, clock) = (service.pipeline.clone(), service.clock.clone());
    let store = service.store.reopen();
    std::thread::spawn(move || {
        let r = store.and_then(|s| super::service::trend_of(&pipeline, &*s, clock.now()));
        let msg = match r {
            Ok(t) => Response::Trend(Box::new(t)),
            Err(e) => Response::TrendFailed(e.to_string()),
        };
        let _ = tx.send(Msg::Response(msg));
    });
}

/// The audit: seconds of work at scale, on a thread and a connection of
/// its own, so pages and commits keep flowing meanwhile.
fn audit_aside(service: &Service, tx: Sender<Msg>) {
    let (pipeline, clock) = (service.pipeline.clone(), service.clock.clone());
    let store = service.store.reopen();
    std::thread::spawn(move || {
        let all = crate::engine::audit::AuditRange::ALL;
        let mut store = match store {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.send(Msg::Response(Response::AuditFailed(e.to_string())));
                return;
            }
        };
        let r = store.audit(&pipeline, all, clock.now());
        let rebuilding =
            matches!(&r, Ok(x) if x.stays == crate::engine::audit::StaysUse::Rebuilding);
        let msg = match r {
            Ok(report) => Response::Audit(Box::new(report)),
            Err(e) => Response::AuditFailed(e.to_string()),
        };
        let _ = tx.send(Msg::Response(msg));
        // A pipeline change left the stays stale: figures from the log are
        // on screen, saying so, while the table is built again; then the
        // audit over it replaces them.
        if rebuilding && store.rebuild_stays().is_ok() {
            let msg = match store.audit(&pipeline, all, clock.now()) {
                Ok(report) => Response::Audit(Box::new(report)),
                Err(e) => Response::AuditFailed(e.to_string()),
            };
            let _ = tx.send(Msg::Response(msg));
        }
    });
}
