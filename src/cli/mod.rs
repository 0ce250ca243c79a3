//! The command-line front end: parse, dispatch, print. Thin over `ops`.

mod access_cmd;
pub mod args;
mod audit_cmd;
mod changes;
mod config_cmd;
pub mod context;
mod deliver_cmd;
mod deliver_run;
mod deliveries_cmd;
mod demo_pg;
mod docs;
mod events_cmd;
mod exchange;
mod fhir_import;
pub mod fmt;
mod group;
mod ingest_cmd;
mod migrate_cmd;
mod out;
mod pipeline_change_cmd;
mod pipeline_cmd;
mod records;
mod report_charts;
mod report_cmd;
mod stays_cmd;
pub mod team;
mod trend_cmd;
mod verify_cmd;

use args::{Cli, Command, ConfigCmd, PipelineCmd, UserCmd};
use context::Ctx;
use out::outln;

/// A refusal the command has already written to stderr, `error:` line
/// and all: `main` exits 1 without printing it again.
#[derive(Debug, thiserror::Error)]
#[error("refused (reported above)")]
pub struct Reported;

/// Runs one command. `Ok(())` is exit 0; an error is printed as `error: …`,
/// exit 1. A reader that closed the pipe early is not an error: the command
/// ends quietly.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match dispatch(cli) {
        Err(e) if out::broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    use context::Source;
    if verify_cmd::on_postgres(&cli) && !on_postgres_too(cli.command.as_ref()) {
        anyhow::bail!(
            "--db postgres://…: this command does not run on PostgreSQL yet (so far: init, demo, the console, add, list, show, move, assign, claim, release, substatus, note, ack, sweep, audit, export, access-log, checkpoint, info, user, pipeline show, history, diff and apply, and verify); it still needs a SQLite file"
        );
    }
    let source = match &cli.command {
        Some(Command::Completions { shell }) => return docs::completions(*shell),
        Some(Command::Man) => return docs::man(),
        Some(Command::Check { json }) => return pipeline_cmd::check(&cli, *json),
        Some(Command::Config(ConfigCmd::Defaults)) => return config_cmd::defaults(),
        Some(Command::Config(ConfigCmd::Check { file })) => {
            return config_cmd::check(&cli, file.as_deref());
        }
        Some(Command::Verify { checkpoint }) if verify_cmd::on_postgres(&cli) => {
            return verify_cmd::run_pg(&cli, checkpoint.as_deref());
        }
        Some(Command::Init(_)) | Some(Command::Demo(_)) => Source::File,
        Some(Command::Pipeline {
            action: Some(PipelineCmd::Adopt { .. }),
            ..
        }) => Source::None,
        _ => Source::Database,
    };
    // The console's configuration is checked before anything is opened.
    let config = match &cli.command {
        None => Some(config_cmd::for_console(&cli)?),
        Some(Command::Demo(a)) if !a.no_tui => Some(config_cmd::for_console(&cli)?),
        _ => None,
    };
    let ctx = Ctx::load(&cli, source)?;
    match &cli.command {
        None => console(&ctx, config.unwrap_or_else(crate::config::defaults)),
        Some(cmd) => match cmd {
            Command::Check { json } => pipeline_cmd::check(&cli, *json),
            Command::Config(_) | Command::Completions { .. } | Command::Man => Ok(()),
            Command::Demo(a) => demo(ctx, a, config.unwrap_or_else(crate::config::defaults)),
            Command::Init(a) => team::init(&ctx, a),
            Command::Pipeline {
                json: json_top,
                action,
            } => match action {
                None => pipeline_cmd::show(&ctx, &ctx.pipeline, *json_top),
                Some(PipelineCmd::Adopt { file }) => pipeline_cmd::adopt(&ctx, file),
                Some(PipelineCmd::Apply { file, maps }) => {
                    pipeline_change_cmd::apply(&ctx, file, maps)
                }
                Some(PipelineCmd::Diff { file, maps, json }) => {
                    pipeline_change_cmd::diff(&ctx, file, maps, *json)
                }
                Some(PipelineCmd::Show {
                    version,
                    toml,
                    json,
                }) => pipeline_cmd::show_version(&ctx, *version, *toml, *json || *json_top),
                Some(PipelineCmd::History { json }) => pipeline_cmd::history(&ctx, *json),
            },
            Command::User(UserCmd::Add { name, roles, login }) => {
                team::add(&ctx, name, roles, login.as_deref())
            }
            Command::User(UserCmd::Disable { name }) => team::disable(&ctx, name),
            Command::User(UserCmd::Revoke { name, roles }) => team::revoke(&ctx, name, roles),
            Command::User(UserCmd::List { json }) => team::list(&ctx, *json),
            Command::Add {
                patient,
                fields,
                op_id,
            } => records::add(&ctx, patient, fields, op_id.as_deref()),
            Command::List(a) => records::list(&ctx, a),
            Command::Show { id, json } => records::show(&ctx, *id, *json),
            Command::Move {
                id,
                event,
                reason,
                breach_reason,
                note,
                override_reason,
                op,
            } => changes::move_(
                &ctx,
                *id,
                event,
                changes::MoveFlags {
                    reason: reason.as_deref(),
                    breach_reason: breach_reason.as_deref(),
                    note: note.as_deref(),
                    override_reason: override_reason.as_deref(),
                },
                op,
            ),
            Command::Assign { id, user, op } => changes::assign(&ctx, *id, user, op),
            Command::Claim { id, op } => changes::claim(&ctx, *id, op),
            Command::Release { id, op } => changes::release(&ctx, *id, op),
            Command::Substatus {
                id,
                value,
                clear,
                op,
            } => changes::substatus(&ctx, *id, if *clear { None } else { value.as_deref() }, op),
            Command::Note { id, text, op } => changes::note(&ctx, *id, text, op),
            Command::Sweep { json } => changes::sweep(&ctx, *json),
            Command::Audit { since, until, json } => {
                audit_cmd::run(&ctx, since.as_deref(), until.as_deref(), *json)
            }
            Command::Import { file, format } => match format {
                args::ImportFormat::Csv => exchange::import(&ctx, file),
                args::ImportFormat::Fhir => fhir_import::run(&ctx, file),
            },
            Command::Export { format, output } => {
                exchange::export(&ctx, *format, output.as_deref())
            }
            Command::Verify { checkpoint } => verify_cmd::run(&ctx, checkpoint.as_deref()),
            Command::Migrate { to, .. } => migrate_cmd::run(&ctx, to),
            Command::Checkpoint { to } => verify_cmd::checkpoint(&ctx, to.as_deref()),
            Command::Stays { action } => stays_cmd::run(&ctx, action),
            Command::AccessLog {
                user,
                record,
                since,
                until,
                json,
            } => access_cmd::run(
                &ctx,
                access_cmd::Query {
                    user: user.as_deref(),
                    record: *record,
                    since: since.as_deref(),
                    until: until.as_deref(),
                    json: *json,
                },
            ),
            Command::Info { json } => access_cmd::info(&ctx, *json),
            Command::Deliver {
                dry_run,
                once,
                notify,
                since,
                limit,
                json,
            } => deliver_cmd::run(
                &ctx,
                &deliver_cmd::Args {
                    dry_run: *dry_run,
                    once: *once,
                    notify: notify.as_deref(),
                    since: *since,
                    limit: *limit,
                    json: *json,
                },
            ),
            Command::Deliveries {
                failed,
                target,
                limit,
                json,
                action,
            } => match action {
                None => deliveries_cmd::list(&ctx, *failed, target.as_deref(), *limit, *json),
                Some(args::DeliveriesCmd::Retry { id, target }) => {
                    deliveries_cmd::retry(&ctx, id.as_deref(), target.as_deref())
                }
            },
            Command::Report {
                since,
                until,
                by,
                out,
            } => report_cmd::run(&ctx, since, until, by, out),
            Command::Trend {
                since,
                until,
                by,
                json,
            } => trend_cmd::run(&ctx, since.as_deref(), until.as_deref(), by, *json),
            Command::Ingest { file, atomic, json } => {
                ingest_cmd::run(&ctx, file.as_deref(), *atomic, *json)
            }
            Command::Events {
                since,
                follow,
                kinds,
                with_patient,
                limit,
                json,
            } => events_cmd::run(
                &ctx,
                &events_cmd::Args {
                    since: *since,
                    follow: *follow,
                    kinds,
                    with_patient: *with_patient,
                    limit: *limit,
                    json: *json,
                },
            ),
            Command::Ack {
                id,
                reason,
                note,
                op,
            } => changes::ack(&ctx, *id, reason, note.as_deref(), op),
        },
    }
}

/// The commands that run on PostgreSQL as on SQLite (through the store
/// interface), the console (no command) among them; the rest still need a
/// SQLite file.
fn on_postgres_too(cmd: Option<&Command>) -> bool {
    matches!(
        cmd,
        None | Some(
            Command::Verify { .. }
                | Command::Init(_)
                | Command::Demo(_)
                | Command::Add { .. }
                | Command::List(_)
                | Command::Show { .. }
                | Command::Move { .. }
                | Command::Assign { .. }
                | Command::Claim { .. }
                | Command::Release { .. }
                | Command::Substatus { .. }
                | Command::Note { .. }
                | Command::Ack { .. }
                | Command::Audit { .. }
                | Command::Sweep { .. }
                | Command::Export { .. }
                | Command::Import { .. }
                | Command::AccessLog { .. }
                | Command::Events { .. }
                | Command::Ingest { .. }
                | Command::Deliver { .. }
                | Command::Deliveries { .. }
                | Command::Trend { .. }
                | Command::Report { .. }
                | Command::Pipeline {
                    action: None
                        | Some(PipelineCmd::Show { .. })
                        | Some(PipelineCmd::History { .. })
                        | Some(PipelineCmd::Diff { .. })
                        | Some(PipelineCmd::Apply { .. }),
                    ..
                }
                | Command::Checkpoint { .. }
                | Command::Stays { .. }
                | Command::Info { .. }
                | Command::User(
                    UserCmd::List { .. }
                        | UserCmd::Add { .. }
                        | UserCmd::Disable { .. }
                        | UserCmd::Revoke { .. }
                )
        )
    )
}

fn demo(mut ctx: Ctx, a: &args::DemoArgs, config: crate::config::Config) -> anyhow::Result<()> {
    if !ctx.db_given {
        ctx.db = std::path::PathBuf::from("demo.db");
    }
    if let Some(url) = ctx
        .db
        .to_str()
        .filter(|u| crate::store::pg::conninfo::is_url(u))
    {
        let url = url.to_string();
        let built = demo_pg::build(&ctx, a, &url)?;
        let d = built.demo;
        if a.no_tui {
            outln!(
                "{}: demo with {} records and {} users (open it as {}: carequeue --db {url} --as {})",
                built.label,
                d.records,
                d.team.len(),
                d.supervisor,
                d.supervisor
            )?;
            return Ok(());
        }
        if ctx.user.is_none() {
            ctx.user = Some(d.supervisor);
        }
        let mut store = crate::store::pg::PgStore::open(&url)?;
        store.expect_pipeline(store.current_pipeline()?.map(|p| p.hash));
        return console_on(&ctx, Box::new(store), config);
    }
    let opts = crate::demo::DemoOptions {
        records: a.records,
        seed: a.seed,
        allow_network_fs: ctx.allow_network_fs,
    };
    let d = crate::demo::build(&ctx.pipeline, &ctx.pipeline_text, &ctx.db, &opts, ctx.now())?;
    if a.no_tui {
        outln!(
            "{}: demo with {} records and {} users (open it as {}: carequeue --db {} --as {})",
            ctx.db.display(),
            d.records,
            d.team.len(),
            d.supervisor,
            ctx.db.display(),
            d.supervisor
        )?;
        return Ok(());
    }
    if ctx.user.is_none() {
        ctx.user = Some(d.supervisor);
    }
    console(&ctx, config)
}

/// Opens the console on `--db` as the acting user.
fn console(ctx: &Ctx, config: crate::config::Config) -> anyhow::Result<()> {
    console_on(ctx, ctx.board()?, config)
}

fn console_on(
    ctx: &Ctx,
    mut store: Box<dyn crate::store::Board>,
    config: crate::config::Config,
) -> anyhow::Result<()> {
    let user = ctx.reader(&*store)?;
    let deliverer = deliver_run::console_deliverer(ctx, &mut *store)?;
    if ctx.now_given && !user.trusted() {
        anyhow::bail!(
            "the console refuses --now / CAREQUEUE_NOW outside a trust-mode database: its changes would be dated by it"
        );
    }
    let idle = (ctx.idle_lock > 0.0)
        .then(|| std::time::Duration::try_from_secs_f64(ctx.idle_lock * 60.0).ok())
        .flatten();
    crate::tui::run(
        ctx.pipeline.clone(),
        store,
        ctx.clock.clone(),
        user,
        crate::tui::Options {
            idle_lock: idle,
            what_if: ctx.what_if_label(),
            state: crate::state_file::path(),
            config,
            deliverer,
        },
    )
}
