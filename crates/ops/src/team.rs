//! The database's setup and the team: `init`, the stored pipeline, users.
//! Admin rules live here so every front end (and a later store) inherits
//! them.

use super::identity::{Actor, check_user_name, os_login};
use super::{OpError, OpResult, is_admin, require_admin};
use carequeue_core::domain::Pipeline;
use carequeue_core::engine::replay;
use carequeue_core::log::EventKind;
use carequeue_store::db::write;
use carequeue_store::team::Member;
use carequeue_store::{Db, NewEvent, Store, Tx};
use chrono::{DateTime, Utc};

/// What a new database starts with: its pipeline's text, its trust mode
/// (and the group a shared file belongs to), who makes the first events,
/// and the team.
pub struct Founding<'a> {
    pub text: &'a str,
    pub trust: bool,
    pub group: Option<&'a str>,
    /// The actor of the first events (the first admin).
    pub by: &'a str,
    pub team: Vec<Member>,
}

/// Creates a database's first events in one transaction: the trust mode,
/// the pipeline, the filterable fields' indexes and the team. Refuses a
/// database that is already initialised.
pub fn found(p: &Pipeline, store: &mut dyn Db, f: &Founding, now: DateTime<Utc>) -> OpResult<()> {
    let t = now.timestamp();
    write(store, |tx| -> OpResult<()> {
        if tx.initialised()? {
            return Err(OpError::Invalid(
                "the database is already initialised".into(),
            ));
        }
        tx.record_init(f.by, f.trust, f.group, t)?;
        tx.store_pipeline(f.by, "init", f.text, t, &super::log_readers(p))?;
        tx.index_fields(&filterable(p))?;
        for m in &f.team {
            tx.save_user(f.by, m, is_admin(p, &m.user()), t)?;
        }
        Ok(())
    })
}

/// Creates the database's first events: the trust mode, the pipeline, and
/// the user `admin` (linked to `login`: the calling OS account, or on
/// PostgreSQL the database login) holding every admin role. Refuses a
/// database that is already initialised.
#[allow(clippy::too_many_arguments)]
pub fn init_db(
    p: &Pipeline,
    store: &mut dyn Db,
    text: &str,
    admin: &str,
    login: &str,
    trust: bool,
    group: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<()> {
    let name = check_user_name(admin)?;
    let m = Member {
        name: name.clone(),
        roles: p
            .roles
            .iter()
            .filter(|r| r.admin)
            .map(|r| r.id.clone())
            .collect(),
        login: Some(login.to_string()),
        enabled: true,
        created_at: now.timestamp(),
    };
    let f = Founding {
        text,
        trust,
        group,
        by: &name,
        team: vec![m],
    };
    found(p, store, &f, now)
}

/// The ids of the fields the pipeline lets the console filter on.
pub fn filterable(p: &Pipeline) -> Vec<&str> {
    p.fields
        .iter()
        .filter(|f| f.filterable)
        .map(|f| f.id.as_str())
        .collect()
}

/// Adds a user or adds roles to one (admins only). `login` links an OS
/// account (default: the account of the same name).
pub fn add_user(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &Actor,
    name: &str,
    roles: &[String],
    login: Option<&str>,
    now: DateTime<Utc>,
) -> OpResult<Member> {
    require_admin(p, actor, "adding or changing users")?;
    for r in roles {
        if p.role_ix(r).is_none() {
            let known: Vec<&str> = p.roles.iter().map(|r| r.id.as_str()).collect();
            return Err(OpError::Invalid(format!(
                "unknown role `{r}` (the pipeline's roles: {})",
                known.join(", ")
            )));
        }
    }
    let t = now.timestamp();
    write(store, |tx| -> OpResult<Member> {
        let t = tx.dated().unwrap_or(t);
        // Existing names keep working as they are; new ones are checked.
        let existing = tx.member(name)?;
        let name = match &existing {
            Some(m) => m.name.clone(),
            None => {
                let folded = check_user_name(name)?;
                // `kim ` or `Kim` is not `kim`: adding it as new would
                // replace the existing user's roles and login unseen.
                if folded != name && tx.member(&folded)?.is_some() {
                    return Err(OpError::Invalid(format!(
                        "user `{folded}` already exists, and `{}` is not its exact name: give `{folded}` to add roles to it or link another account",
                        carequeue_core::text::shown(name)
                    )));
                }
                folded
            }
        };
        let mut m = existing.unwrap_or(Member {
            name: name.clone(),
            roles: Vec::new(),
            login: Some(name.clone()),
            enabled: true,
            created_at: t,
        });
        if let Some(l) = login {
            if l.is_empty() || l.chars().any(|c| c.is_control() || c.is_whitespace()) {
                return Err(OpError::Invalid(
                    "--login must be an OS account name".into(),
                ));
            }
            m.login = Some(l.to_string());
        }
        if let Some(l) = &m.login
            && let Some(other) = tx.member_by_login(l)?
            && other.name != m.name
        {
            return Err(OpError::Invalid(format!(
                "OS account `{l}` is already linked to user `{}`",
                other.name
            )));
        }
        for r in roles {
            if !m.roles.contains(r) {
                m.roles.push(r.clone());
            }
        }
        tx.save_user(&actor.name, &m, is_admin(p, &m.user()), t)?;
        Ok(m)
    })
}

/// Disables a leaver (admins only): history kept, their open records
/// released (a `release` event each). Refuses to disable the last enabled admin.
pub fn disable_user(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> OpResult<usize> {
    require_admin(p, actor, "disabling users")?;
    crate::reads::before_change(store, &actor.name, None, "user disabled: records released")?;
    let t = now.timestamp();
    write(store, |tx| -> OpResult<usize> {
        let t = tx.dated().unwrap_or(t);
        let Some(mut m) = tx.member(name)? else {
            return Err(OpError::Invalid(format!("unknown user `{name}`")));
        };
        if !m.enabled {
            return Err(OpError::Invalid(format!(
                "user `{name}` is already disabled"
            )));
        }
        m.enabled = false;
        let admins_left = tx
            .members()?
            .iter()
            .filter(|u| u.enabled && u.name != m.name && is_admin(p, &u.user()))
            .count();
        if admins_left == 0 {
            return Err(OpError::Invalid(format!(
                "`{name}` is the last enabled admin; add another admin first"
            )));
        }
        tx.save_user(&actor.name, &m, false, t)?;
        let held: Vec<i64> = tx.held_by(&m.name)?.into_iter().map(|(id, _)| id).collect();
        release_all(tx, &actor.name, &m.name, &held, "user disabled", t)?;
        Ok(held.len())
    })
}

/// Takes roles from a user (admins only): logged as a user event; records
/// they hold in stages owned by a role they no longer have are released
/// (a `release` event each). Refuses to leave no enabled admin.
pub fn revoke_roles(
    p: &Pipeline,
    store: &mut dyn Db,
    actor: &Actor,
    name: &str,
    roles: &[String],
    now: DateTime<Utc>,
) -> OpResult<(Member, usize)> {
    require_admin(p, actor, "changing users")?;
    crate::reads::before_change(store, &actor.name, None, "roles revoked: records released")?;
    let t = now.timestamp();
    write(store, |tx| -> OpResult<(Member, usize)> {
        let t = tx.dated().unwrap_or(t);
        let Some(mut m) = tx.member(name)? else {
            return Err(OpError::Invalid(format!("unknown user `{name}`")));
        };
        for r in roles {
            if !m.roles.contains(r) {
                return Err(OpError::Invalid(format!(
                    "user `{}` does not hold role `{r}` (they hold: {})",
                    m.name,
                    m.roles.join(", ")
                )));
            }
        }
        m.roles.retain(|r| !roles.contains(r));
        let admins_left = tx
            .members()?
            .iter()
            .map(|u| {
                if u.name == m.name {
                    m.clone()
                } else {
                    u.clone()
                }
            })
            .filter(|u| u.enabled && is_admin(p, &u.user()))
            .count();
        if admins_left == 0 {
            return Err(OpError::Invalid(format!(
                "that would leave no enabled admin; give another user an admin role before taking it from `{}`",
                m.name
            )));
        }
        let user = m.user();
        tx.save_user(&actor.name, &m, is_admin(p, &user), t)?;
        let held: Vec<i64> = tx
            .held_by(&m.name)?
            .into_iter()
            .filter(|(_, stage)| {
                let owner = p.stage_ix(stage).and_then(|s| p.stage(s).owner);
                owner.is_some_and(|o| !user.has_role(&p.role(o).id)) && !super::supervises(p, &user)
            })
            .map(|(id, _)| id)
            .collect();
        release_all(tx, &actor.name, &m.name, &held, "role revoked", t)?;
        Ok((m, held.len()))
    })
}

/// Releases each of `ids` from `holder`: a `release` event each, with `why`.
fn release_all(
    tx: &mut dyn Tx,
    actor: &str,
    holder: &str,
    ids: &[i64],
    why: &str,
    t: i64,
) -> OpResult<()> {
    for id in ids {
        let cur = tx.load(*id)?;
        let at = t.max(cur.updated_at);
        let mut next = cur.clone();
        next.assignee = None;
        next.updated_at = at;
        tx.save(
            Some(&cur),
            &mut next,
            &NewEvent {
                record_id: Some(*id),
                at,
                actor,
                from: Some(holder),
                note: Some(why),
                ..NewEvent::blank(EventKind::Release)
            },
        )?;
    }
    Ok(())
}

/// Refuses, with counts, when records sit in stages `p` does not have.
fn stranded(counts: &[(String, i64)], p: &Pipeline) -> OpResult<()> {
    let lost: Vec<String> = counts
        .iter()
        .filter(|(s, _)| p.stage_ix(s).is_none())
        .map(|(s, n)| format!("{n} in `{s}`"))
        .collect();
    if !lost.is_empty() {
        return Err(OpError::Invalid(format!(
            "the pipeline has no stage for records now there: {}",
            lost.join(", ")
        )));
    }
    Ok(())
}

/// Gives a database from before stored pipelines its pipeline: the OS
/// owner of the file only. Every record's stage must exist in `p`; each
/// record and user gets one snapshot event so its later history is covered.
pub fn adopt(p: &Pipeline, store: &mut Store, text: &str, now: DateTime<Utc>) -> OpResult<usize> {
    let login = os_login()?;
    let owner = file_owner(store.path())?;
    if owner != login {
        return Err(OpError::Denied(format!(
            "only the database file's OS owner (`{owner}`) may adopt a pipeline for it; you are `{login}`"
        )));
    }
    let t = now.timestamp();
    write(store, |tx| -> OpResult<usize> {
        if tx.current_pipeline()?.is_some() {
            return Err(OpError::Invalid(
                "the database already holds its pipeline (see `carequeue pipeline history`)".into(),
            ));
        }
        stranded(&tx.in_use().stage_totals()?, p)?;
        let actor = check_user_name(&login).unwrap_or_else(|_| "owner".to_string());
        tx.record_init(&actor, false, None, t)?;
        tx.store_pipeline(&actor, "adopt", text, t, &super::log_readers(p))?;
        let members = tx.members()?;
        let admins: Vec<String> = p
            .roles
            .iter()
            .filter(|r| r.admin)
            .map(|r| r.id.clone())
            .collect();
        let has_admin = members
            .iter()
            .any(|m| m.enabled && m.roles.iter().any(|r| admins.contains(r)));
        for mut m in members {
            if m.login.is_none() {
                m.login = Some(m.name.clone());
            }
            if !has_admin && m.name == actor {
                // Nobody could manage the team: the owner becomes its admin.
                m.enabled = true;
                let missing: Vec<String> = admins
                    .iter()
                    .filter(|a| !m.roles.contains(a))
                    .cloned()
                    .collect();
                m.roles.extend(missing);
            }
            let created = m.created_at;
            tx.save_user(&actor, &m, is_admin(p, &m.user()), created)?;
        }
        if !has_admin && tx.member(&actor)?.is_none() {
            let m = Member {
                name: actor.clone(),
                roles: admins,
                login: Some(login.clone()),
                enabled: true,
                created_at: t,
            };
            tx.save_user(&actor, &m, true, t)?;
        }
        let ids = tx.record_ids()?;
        for id in &ids {
            let cur = tx.load(*id)?;
            let mut next = cur.clone();
            let at = t.max(cur.updated_at);
            next.updated_at = at;
            // A stay under way warns from here on, as the adopted
            // pipeline's `warn_at` says.
            carequeue_core::engine::warnings::refresh(p, &mut next);
            let data = replay::snapshot_data(&next);
            tx.save(
                Some(&cur),
                &mut next,
                &NewEvent {
                    record_id: Some(*id),
                    at,
                    actor: &actor,
                    data: Some(&data),
                    ..NewEvent::blank(EventKind::Snapshot)
                },
            )?;
        }
        Ok(ids.len())
    })
}

#[cfg(unix)]
fn file_owner(path: &std::path::Path) -> OpResult<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata(path)
        .map_err(carequeue_store::StoreError::from)?
        .uid();
    Ok(super::identity::account_name(uid).unwrap_or_else(|| format!("uid {uid}")))
}

#[cfg(not(unix))]
fn file_owner(_path: &std::path::Path) -> OpResult<String> {
    os_login()
}
