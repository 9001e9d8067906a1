//! `vmigrate check VM`: every pre-migration check and the scheduler's
//! choice, as a dry run. Nothing on any host differs afterwards: the only
//! thing created (the shared-storage test file) is removed on every path,
//! including Ctrl-C.

use super::plan::plan;
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes::ExitCode;
use crate::report::check_table;
use crate::signals::Interrupt;

/// Runs the checks and prints the verdict.
pub async fn run(config: &Config, args: CheckArgs) -> Result<ExitCode, Error> {
    let mut interrupt = Interrupt::install();
    let Some(mut planned) = plan(config, &args, Some(1), &mut interrupt).await? else {
        return Ok(ExitCode::Interrupted);
    };
    // The rest of the fleet was being read meanwhile: its answer is part
    // of the verdict (bounded by the connect timeout).
    let finding = tokio::select! {
        f = planned.finding(true) => f,
        () = interrupt.wait() => {
            super::plan::interrupted();
            return Ok(ExitCode::Interrupted);
        }
    };
    if let Some(f) = finding {
        let pre = &mut planned.preflight;
        if let Some(e) = f.refusal(&pre.vm, &pre.source) {
            return Err(e);
        }
        pre.checks.push(f.check(&pre.vm));
    }
    let pre = planned.preflight;
    if config.json() {
        config.printer.json(&pre)?;
    } else {
        config
            .printer
            .table(&check_table::render(&pre, config.look))?;
    }
    Ok(if pre.migratable {
        ExitCode::Ok
    } else {
        ExitCode::NotMigratable
    })
}
