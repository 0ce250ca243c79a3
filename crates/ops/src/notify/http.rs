//! Sending one message: a POST with the Standard Webhooks headers, over
//! one pooled client (ureq: small, blocking, TLS through native-tls and so
//! the OpenSSL already built for the store). Redirects are not followed (a
//! 3xx is a failure, as a receiver that moved should be told to us, not
//! guessed); the response body is never read beyond what closing needs,
//! and never kept: only its status counts.

use super::Message;
use super::policy::Sent;
use std::time::Duration;

/// One client for every target.
#[derive(Clone)]
pub struct Sender {
    agent: ureq::Agent,
}

impl Default for Sender {
    fn default() -> Sender {
        Sender::new()
    }
}

impl Sender {
    pub fn new() -> Sender {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent("carequeue-webhooks")
            .build()
            .into();
        Sender { agent }
    }

    /// POSTs `m`, waiting at most `timeout` for the whole exchange.
    pub fn post(&self, m: &Message, timeout: Duration) -> Sent {
        let r = self
            .agent
            .post(&m.url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("content-type", "application/json")
            .header("webhook-id", &m.id)
            .header("webhook-timestamp", m.timestamp.to_string())
            .header("webhook-signature", &m.signature)
            .send(m.body.as_bytes());
        match r {
            Ok(resp) => Sent::Status(resp.status().as_u16()),
            Err(e) => Sent::Transport(class(&e).into()),
        }
    }

    /// A bare POST of `body` to `url` (the bench's floor).
    pub fn post_bare(&self, url: &str, body: &str) -> Sent {
        match self
            .agent
            .post(url)
            .header("content-type", "application/json")
            .send(body.as_bytes())
        {
            Ok(resp) => Sent::Status(resp.status().as_u16()),
            Err(e) => Sent::Transport(class(&e).into()),
        }
    }
}

/// A transport error's class: what delivery state keeps and `deliveries`
/// shows (never a message that might quote the receiver).
fn class(e: &ureq::Error) -> &'static str {
    match e {
        ureq::Error::Timeout(_) => "timeout",
        ureq::Error::HostNotFound => "host not found",
        ureq::Error::ConnectionFailed => "connection failed",
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused",
            std::io::ErrorKind::ConnectionReset => "connection reset",
            std::io::ErrorKind::TimedOut => "timeout",
            _ => "io error",
        },
        ureq::Error::Tls(_) | ureq::Error::NativeTls(_) | ureq::Error::TlsRequired => "tls error",
        ureq::Error::BadUri(_) => "bad url",
        ureq::Error::TooManyRedirects | ureq::Error::RedirectFailed => "redirect",
        ureq::Error::Protocol(_) => "protocol error",
        _ => "transport error",
    }
}
