//! Webhook targets (`notify.toml`) and what each is sent: which events
//! (kinds, stages, escalation levels), in which shape (CloudEvents 1.0
//! structured JSON, a Slack-compatible message, a Teams Workflows card),
//! signed the Standard Webhooks way. Payloads carry record ids, stages,
//! owners and a link back, never patient data: the log's feed reads no
//! patient data, and a target may not even ask for it unless it is a
//! CloudEvents target marked `phi = true` (for systems under a business
//! associate agreement); a chat target never may.
//!
//! ```toml
//! [[target]]
//! name = "ehr"
//! url = "https://ehr.example/hooks/carequeue"
//! shape = "cloudevents"          # or "slack", "teams"
//! secret_file = "ehr.secret"     # whsec_… a line; two during a rotation
//! kinds = ["escalation", "transition"]
//! stages = ["pending_provider"]
//! levels = [1, 2]                # escalation levels (escalations only)
//! timeout = "10s"                # per request
//!
//! [delivery]                     # retries (defaults shown)
//! backoff = "5s"
//! backoff_cap = "1h"
//! dead_after = "3d"
//! ```

pub mod deliver;
pub mod http;
pub mod policy;
mod shape;
mod sign;

pub use deliver::{Deliverer, Summary};
pub use policy::{Policy, Sent};
pub use shape::{Message, message};
pub use sign::{Secret, signature_header};

use carequeue_core::domain::Pipeline;
use carequeue_core::log::EventKind;
use carequeue_store::feed::FeedEvent;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// How a payload is put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// CloudEvents 1.0, structured JSON.
    Cloudevents,
    /// A Slack incoming webhook's `{"text": …}`.
    Slack,
    /// A Teams Workflows message with an Adaptive Card.
    Teams,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    target: Vec<RawTarget>,
    #[serde(default)]
    delivery: policy::RawPolicy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: String,
    url: String,
    shape: Shape,
    secret_file: PathBuf,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    stages: Vec<String>,
    #[serde(default)]
    levels: Vec<u32>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    phi: bool,
    timeout: Option<String>,
}

/// The targets of `notify.toml` and how they are delivered to.
#[derive(Debug, Clone)]
pub struct Notify {
    pub targets: Vec<Target>,
    pub policy: Policy,
}

/// One target, checked.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub url: String,
    pub shape: Shape,
    /// Every current secret: the first signs alone, all sign during a
    /// rotation.
    pub secrets: Vec<Secret>,
    pub kinds: Vec<EventKind>,
    pub stages: Vec<String>,
    pub levels: Vec<u32>,
    /// Roles whose records (stages they own, escalations to them) it
    /// wants; none: every role's.
    pub roles: Vec<String>,
    /// The stages the roles own, resolved at load.
    role_stages: Vec<String>,
    /// Early-warning thresholds as their events name them (`80%`, `2h`),
    /// or `repeat` for every repeat after a breach; none: all of them.
    pub warnings: Vec<String>,
    pub phi: bool,
    /// How long one request may take.
    pub timeout: std::time::Duration,
}

impl Target {
    /// Whether event `e` goes to this target: an event of a record (the
    /// team's and the pipeline's own events go nowhere), of its kinds,
    /// stages and escalation levels when it names them.
    pub fn wants(&self, e: &FeedEvent) -> bool {
        if e.record_id.is_none() {
            return false;
        }
        let kind = e.kind.known();
        let kind_ok = self.kinds.is_empty() || kind.is_some_and(|k| self.kinds.contains(&k));
        let stage_ok = self.stages.is_empty()
            || e.stage
                .as_deref()
                .is_some_and(|s| self.stages.iter().any(|x| x == s));
        // Levels narrow the escalations; other kinds pass by them.
        let level_ok = self.levels.is_empty()
            || kind != Some(EventKind::Escalation)
            || level_of(e).is_some_and(|l| self.levels.contains(&l));
        // Roles: the record's stage is theirs, or an escalation names them.
        let role_ok = self.roles.is_empty()
            || e.stage
                .as_deref()
                .is_some_and(|s| self.role_stages.iter().any(|x| x == s))
            || (kind == Some(EventKind::Escalation)
                && e.to
                    .as_deref()
                    .is_some_and(|r| self.roles.iter().any(|x| x == r)));
        // Thresholds narrow the warnings; other kinds pass by them.
        let warning_ok = self.warnings.is_empty()
            || kind != Some(EventKind::SlaWarning)
            || e.event.as_deref().is_some_and(|w| {
                self.warnings
                    .iter()
                    .any(|x| x == w || (x == "repeat" && w.starts_with("breach+")))
            });
        kind_ok && stage_ok && level_ok && role_ok && warning_ok
    }
}

/// An escalation's level, from its event (`level_2`) as the sweep logs it.
pub fn level_of(e: &FeedEvent) -> Option<u32> {
    e.event
        .as_deref()
        .and_then(|ev| ev.strip_prefix("level_"))
        .and_then(|n| n.parse().ok())
}

/// Reads and checks `notify.toml` at `path` under pipeline `p`: every
/// fault names the target and the key.
pub fn load(p: &Pipeline, path: &Path) -> Result<Vec<Target>, String> {
    load_all(p, path).map(|n| n.targets)
}

/// [`load`], with the `[delivery]` policy.
pub fn load_all(p: &Pipeline, path: &Path) -> Result<Notify, String> {
    let where_ = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{where_}: {e}"))?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| format!("{where_}: {}", e.message()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out: Vec<Target> = Vec::new();
    for t in raw.target {
        let at = |key: &str, what: String| format!("{where_}: target `{}`: {key}: {what}", t.name);
        if t.name.trim().is_empty() || out.iter().any(|o| o.name == t.name) {
            return Err(format!(
                "{where_}: every target needs a name of its own (`{}`)",
                t.name
            ));
        }
        if t.name.len() > 64
            || !t
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(at(
                "name",
                "1 to 64 letters, digits, `_`, `.` or `-` (it is part of each webhook-id)".into(),
            ));
        }
        let timeout = match &t.timeout {
            Some(text) => policy::positive("timeout", text).map_err(|e| at("timeout", e))?,
            None => deliver::TIMEOUT.as_secs() as i64,
        };
        if !(t.url.starts_with("https://") || t.url.starts_with("http://")) {
            return Err(at("url", "an http:// or https:// address".into()));
        }
        if t.phi && t.shape != Shape::Cloudevents {
            return Err(at(
                "phi",
                "a chat or push target never carries patient data".into(),
            ));
        }
        if t.phi && !t.url.starts_with("https://") {
            return Err(at(
                "url",
                "patient data (`phi = true`) goes only over https://".into(),
            ));
        }
        if t.levels.contains(&0) {
            return Err(at("levels", "escalation levels start at 1".into()));
        }
        let mut kinds = Vec::new();
        for k in &t.kinds {
            match k.parse::<EventKind>() {
                Ok(kind) => kinds.push(kind),
                Err(_) => return Err(at("kinds", format!("`{k}` is not an event kind"))),
            }
        }
        for s in &t.stages {
            if p.stage_ix(s).is_none() {
                return Err(at(
                    "stages",
                    format!("`{s}` is not a stage of the pipeline"),
                ));
            }
        }
        let mut role_stages = Vec::new();
        for r in &t.roles {
            let Some(ix) = p.role_ix(r) else {
                return Err(at("roles", format!("`{r}` is not a role of the pipeline")));
            };
            role_stages.extend(
                p.stages
                    .iter()
                    .filter(|s| s.owner == Some(ix))
                    .map(|s| s.id.clone()),
            );
        }
        for w in &t.warnings {
            let named = w == "repeat"
                || p.stages.iter().any(|s| {
                    s.sla
                        .as_ref()
                        .is_some_and(|x| x.warnings.iter().any(|th| &th.label == w))
                });
            if !named {
                return Err(at(
                    "warnings",
                    format!("`{w}` is no stage's `warn_at` threshold, nor `repeat`"),
                ));
            }
        }
        let file = base.join(&t.secret_file);
        let secrets = read_secrets(&file).map_err(|e| at("secret_file", e))?;
        out.push(Target {
            name: t.name,
            url: t.url,
            shape: t.shape,
            secrets,
            kinds,
            stages: t.stages,
            levels: t.levels,
            roles: t.roles,
            role_stages,
            warnings: t.warnings,
            phi: t.phi,
            timeout: std::time::Duration::from_secs(timeout.unsigned_abs()),
        });
    }
    let policy = raw.delivery.check().map_err(|e| format!("{where_}: {e}"))?;
    Ok(Notify {
        targets: out,
        policy,
    })
}

/// The secrets of a file, one `whsec_…` a line; the file readable by its
/// owner (and group) only.
fn read_secrets(file: &Path) -> Result<Vec<Secret>, String> {
    use std::os::unix::fs::PermissionsExt as _;
    let shown = file.display();
    let meta = std::fs::metadata(file).map_err(|e| format!("{shown}: {e}"))?;
    if meta.permissions().mode() & 0o004 != 0 {
        return Err(format!(
            "{shown} is readable by everyone: chmod o-r it (a secret is for its owner)"
        ));
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{shown}: {e}"))?;
    let secrets: Vec<Secret> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, l)| Secret::parse(l).map_err(|e| format!("{shown}, secret {}: {e}", i + 1)))
        .collect::<Result<_, _>>()?;
    if secrets.is_empty() {
        return Err(format!("{shown} holds no secret (`whsec_…`)"));
    }
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, event: Option<&str>, stage: &str) -> FeedEvent {
        FeedEvent {
            seq: 1,
            record_id: Some(7),
            at: 0,
            actor: "kim".into(),
            kind: kind.into(),
            event: event.map(str::to_string),
            from: None,
            to: None,
            reason: None,
            stage: Some(stage.into()),
            note: None,
            data: None,
        }
    }

    #[test]
    fn levels_narrow_escalations_and_leave_other_kinds_alone() {
        let t = Target {
            name: "t".into(),
            url: "https://x".into(),
            shape: Shape::Cloudevents,
            secrets: Vec::new(),
            kinds: vec![EventKind::Escalation, EventKind::Transition],
            stages: vec!["intake_review".into()],
            levels: vec![2],
            roles: Vec::new(),
            role_stages: Vec::new(),
            warnings: Vec::new(),
            phi: false,
            timeout: deliver::TIMEOUT,
        };
        assert!(t.wants(&event("escalation", Some("level_2"), "intake_review")));
        assert!(!t.wants(&event("escalation", Some("level_1"), "intake_review")));
        assert!(t.wants(&event("transition", Some("start_review"), "intake_review")));
        assert!(!t.wants(&event("transition", Some("start_review"), "form_submitted")));
        assert!(!t.wants(&event("note", None, "intake_review")));
        let mut none = event("transition", None, "intake_review");
        none.record_id = None;
        assert!(!t.wants(&none), "events of no record go nowhere");
    }

    /// `roles` picks the records of stages a role owns and escalations to
    /// it; `warnings` narrows the early warnings to thresholds (`repeat`:
    /// every repeat); both are checked against the pipeline at load.
    #[test]
    fn roles_and_thresholds_narrow_what_a_target_is_sent() {
        use std::os::unix::fs::PermissionsExt as _;
        let text = carequeue_core::domain::DEFAULT_PIPELINE.replacen(
            "warn_at = [\"50%\", \"80%\"] }",
            "warn_at = [\"50%\", \"80%\"], repeat = \"4h\" }",
            1,
        );
        let p = carequeue_core::domain::check(&text)
            .pipeline
            .expect("pipeline");
        let dir = tempfile::tempdir().expect("dir");
        let secret = dir.path().join("s.secret");
        std::fs::write(&secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").expect("secret");
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("mode");
        let load_with = |extra: &str| {
            let file = dir.path().join("notify.toml");
            std::fs::write(
                &file,
                format!(
                    "[[target]]\nname = \"t\"\nurl = \"https://x\"\nshape = \"slack\"\nsecret_file = \"s.secret\"\n{extra}\n"
                ),
            )
            .expect("notify.toml");
            load(&p, &file)
        };
        let t = load_with("roles = [\"provider\"]\nwarnings = [\"80%\", \"repeat\"]")
            .expect("loads")
            .remove(0);
        // The provider owns pending_provider; ops owns form_submitted.
        assert!(t.wants(&event(
            "transition",
            Some("begin_review"),
            "pending_provider"
        )));
        assert!(!t.wants(&event("transition", Some("start_review"), "intake_review")));
        let mut to_provider = event("escalation", Some("level_2"), "form_submitted");
        to_provider.to = Some("provider".into());
        assert!(t.wants(&to_provider), "an escalation handed to the role");
        assert!(t.wants(&event("sla_warning", Some("80%"), "pending_provider")));
        assert!(t.wants(&event("sla_warning", Some("breach+8h"), "pending_provider")));
        assert!(!t.wants(&event("sla_warning", Some("50%"), "pending_provider")));
        for (bad, says) in [
            ("roles = [\"janitor\"]", "`janitor` is not a role"),
            (
                "warnings = [\"95%\"]",
                "`95%` is no stage's `warn_at` threshold",
            ),
        ] {
            let e = load_with(bad).expect_err(bad);
            assert!(e.contains(says) && e.contains("target `t`"), "{bad}: {e}");
        }
    }
}
