//! The command-line front end: parse, dispatch, print. Thin over `ops`.

pub mod args;
mod audit_cmd;
mod changes;
pub mod context;
mod exchange;
pub mod fmt;
mod pipeline_cmd;
mod records;
pub mod team;
mod verify_cmd;

use args::{Cli, Command, UserCmd};
use context::Ctx;

/// Runs one command. `Ok(())` is exit 0; an error is printed as `error: …`, exit 1.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Check { json }) = &cli.command {
        return pipeline_cmd::check(&cli, *json);
    }
    let ctx = Ctx::load(&cli)?;
    match &cli.command {
        None => console(&ctx),
        Some(cmd) => match cmd {
            Command::Check { json } => pipeline_cmd::check(&cli, *json),
            Command::Demo(a) => demo(ctx, a),
            Command::Init => team::init(&ctx),
            Command::Pipeline { json } => pipeline_cmd::show(&ctx, *json),
            Command::User(UserCmd::Add { name, roles }) => team::add(&ctx, name, roles),
            Command::User(UserCmd::List { json }) => team::list(&ctx, *json),
            Command::Add { patient, fields } => records::add(&ctx, patient, fields),
            Command::List(a) => records::list(&ctx, a),
            Command::Show { id, json } => records::show(&ctx, *id, *json),
            Command::Move {
                id,
                event,
                reason,
                note,
                override_reason,
                op,
            } => changes::move_(
                &ctx,
                *id,
                event,
                reason.as_deref(),
                note.as_deref(),
                override_reason.as_deref(),
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
            Command::Import { file } => exchange::import(&ctx, file),
            Command::Export { format } => exchange::export(&ctx, *format),
            Command::Verify => verify_cmd::run(&ctx),
            Command::Ack {
                id,
                reason,
                note,
                op,
            } => changes::ack(&ctx, *id, reason, note.as_deref(), op),
        },
    }
}

fn demo(mut ctx: Ctx, a: &args::DemoArgs) -> anyhow::Result<()> {
    if !ctx.db_given {
        ctx.db = std::path::PathBuf::from("demo.db");
    }
    let opts = crate::demo::DemoOptions {
        records: a.records,
        seed: a.seed,
        allow_network_fs: ctx.allow_network_fs,
    };
    let d = crate::demo::build(&ctx.pipeline, &ctx.db, &opts, ctx.now())?;
    if a.no_tui {
        println!(
            "{}: demo with {} records and {} users (open it as {}: carequeue --db {} --as {})",
            ctx.db.display(),
            d.records,
            d.team.len(),
            d.supervisor,
            ctx.db.display(),
            d.supervisor
        );
        return Ok(());
    }
    if ctx.user.is_none() {
        ctx.user = Some(d.supervisor);
    }
    console(&ctx)
}

/// Opens the console on `--db` as the acting user.
fn console(ctx: &Ctx) -> anyhow::Result<()> {
    let store = team::open(ctx)?;
    let user = crate::ops::actor(&store, &ctx.user_name())?;
    if user.name == crate::ops::SYSTEM {
        anyhow::bail!("the console cannot be opened as `system`");
    }
    let idle = (ctx.idle_lock > 0.0)
        .then(|| std::time::Duration::try_from_secs_f64(ctx.idle_lock * 60.0).ok())
        .flatten();
    crate::tui::run(ctx.pipeline.clone(), store, ctx.clock.clone(), user, idle)
}
