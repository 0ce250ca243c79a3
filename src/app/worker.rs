//! The data worker: a thread that owns its own database connection, answers
//! requests, and watches for commits by other processes, so the input
//! thread never waits on the database. On SQLite it polls the file's
//! `data_version`; on PostgreSQL a listener hears each commit and says
//! when its connection is lost and back.

use super::service::{Request, Response, Service};
use crate::store::Watch;
use crate::store::pg::live::Live;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the worker checks for changes made by other processes.
pub const POLL: Duration = Duration::from_millis(500);
/// How often it reads what a listener heard (it only reads a channel).
const LISTEN_POLL: Duration = Duration::from_millis(50);

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
    _handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(mut service: Service) -> Worker {
        let (req_tx, req_rx) = channel::<Request>();
        let (msg_tx, msg_rx) = channel::<Msg>();
        let handle = std::thread::spawn(move || {
            let watch = service.store.watch();
            let mut seen = service.store.data_version().unwrap_or(0);
            let mut heard: Option<i64> = None;
            let poll = match watch {
                Watch::Poll => POLL,
                Watch::Listen(_) => LISTEN_POLL,
            };
            loop {
                match req_rx.recv_timeout(poll) {
                    Ok(Request::Audit) => {
                        if let Some(refused) = service.begin_audit() {
                            if msg_tx.send(Msg::Response(refused)).is_err() {
                                return;
                            }
                            continue;
                        }
                        audit_aside(&service, msg_tx.clone());
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
                let sent = match &watch {
                    Watch::Poll => {
                        // data_version moves only for commits on other connections.
                        let v = service.store.data_version().unwrap_or(seen);
                        v == seen || {
                            seen = v;
                            msg_tx.send(Msg::Changed).is_ok()
                        }
                    }
                    Watch::Listen(l) => relay(&l.rx, &mut heard, &msg_tx),
                };
                if !sent {
                    return;
                }
            }
        });
        Worker {
            tx: req_tx,
            rx: msg_rx,
            _handle: handle,
        }
    }

    pub fn send(&self, reqs: Vec<Request>) {
        for r in reqs {
            // A closed worker is reported by the main loop when it reads.
            let _ = self.tx.send(r);
        }
    }
}

/// The audit: seconds of work at scale, on a thread and a connection of
/// its own, so pages and commits keep flowing meanwhile.
fn audit_aside(service: &Service, tx: Sender<Msg>) {
    let (pipeline, clock) = (service.pipeline.clone(), service.clock.clone());
    let store = service.store.reopen();
    std::thread::spawn(move || {
        let all = crate::engine::audit::AuditRange::ALL;
        let r = store.and_then(|s| s.audit(&pipeline, all, clock.now()));
        let msg = match r {
            Ok(report) => Response::Audit(Box::new(report)),
            Err(e) => Response::AuditFailed(e.to_string()),
        };
        let _ = tx.send(Msg::Response(msg));
    });
}

/// Passes on what the listener heard: a new chain length is a change; a
/// lost connection, and its return (after which the screen is re-read, as
/// anything may have happened meanwhile). False once the console is gone.
fn relay(rx: &Receiver<Live>, heard: &mut Option<i64>, out: &Sender<Msg>) -> bool {
    loop {
        let msg = match rx.try_recv() {
            Ok(Live::Seq(n)) => {
                let first = heard.is_none();
                let moved = *heard != Some(n);
                *heard = Some(n);
                if first || !moved {
                    continue;
                }
                Msg::Changed
            }
            Ok(Live::Lost(why)) => Msg::Link(Some(why)),
            Ok(Live::Connected) => {
                if heard.is_some() && out.send(Msg::Link(None)).is_err() {
                    return false;
                }
                // The catch-up's length follows: compare against it anew.
                if heard.take().is_some() && out.send(Msg::Changed).is_err() {
                    return false;
                }
                continue;
            }
            Err(TryRecvError::Empty) => return true,
            // A listener that stopped says nothing more; the console goes on.
            Err(TryRecvError::Disconnected) => return true,
        };
        if out.send(msg).is_err() {
            return false;
        }
    }
}
