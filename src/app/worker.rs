//! The data worker: a thread that owns its own database connection, answers
//! requests, and watches for commits by other processes, so the input
//! thread never waits on SQLite.

use super::service::{Request, Response, Service};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the worker checks for changes made by other processes.
pub const POLL: Duration = Duration::from_millis(500);

pub enum Msg {
    Response(Response),
    /// Someone else committed: the screen should be re-read.
    Changed,
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
            let mut seen = service.store.data_version().unwrap_or(0);
            // Commits stay short: the WAL is checkpointed when idle instead.
            let deferred = service.store.defer_checkpoints().is_ok();
            loop {
                match req_rx.recv_timeout(POLL) {
                    Ok(Request::Audit) => {
                        if let Some(refused) = service.begin_audit() {
                            if msg_tx.send(Msg::Response(refused)).is_err() {
                                return;
                            }
                            continue;
                        }
                        // Seconds of work at scale: on a thread of its own, so
                        // pages and commits keep flowing meanwhile.
                        let (pipeline, path, clock, tx) = (
                            service.pipeline.clone(),
                            service.store.path().to_path_buf(),
                            service.clock.clone(),
                            msg_tx.clone(),
                        );
                        std::thread::spawn(move || {
                            let r = crate::store::Store::open_with(&path, true)
                                .map_err(anyhow::Error::from)
                                .and_then(|store| {
                                    Ok(crate::store::audit_scan::audit(
                                        store.conn(),
                                        &pipeline,
                                        crate::engine::audit::AuditRange::ALL,
                                        clock.now(),
                                    )?)
                                });
                            let msg = match r {
                                Ok(report) => Response::Audit(Box::new(report)),
                                Err(e) => Response::AuditFailed(e.to_string()),
                            };
                            let _ = tx.send(Msg::Response(msg));
                        });
                    }
                    Ok(req) => {
                        let r = service.handle(req);
                        if msg_tx.send(Msg::Response(r)).is_err() {
                            return;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if deferred {
                            // A failed passive checkpoint is retried on the next tick.
                            let _ = service.store.checkpoint();
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                // data_version moves only for commits on other connections.
                let v = service.store.data_version().unwrap_or(seen);
                if v != seen {
                    seen = v;
                    if msg_tx.send(Msg::Changed).is_err() {
                        return;
                    }
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
