//! `ebl`: the command line of eBL Ledger.
//!
//! Every action is signed on this machine with your party key (`--key`) and submitted to a
//! node (`--node`); by default `ebl` waits for the commit and prints the outcome. Titles are
//! verified locally against the genesis validators (`--genesis`) and for freshness
//! (`--max-proof-age`), never taken on a node's word; a finance check's verdict is computed here
//! from the proven record.
//! Exit code: 0 on success; 1 on any error, refused transaction, failed check or unverified title.

#[path = "ebl/cli.rs"]
mod cli;
#[path = "ebl/output.rs"]
mod output;
#[path = "ebl/plan.rs"]
mod plan;
#[path = "ebl/run.rs"]
mod run;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            if json {
                let hint = output::hint(&error);
                let code = output::error_code(&error);
                output::print_json(
                    &serde_json::json!({ "error": format!("{error:#}"), "code": code, "hint": hint }),
                );
            } else {
                eprintln!("error: {error:#}");
                if let Some(hint) = output::hint(&error) {
                    eprintln!("hint: {hint}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
#[path = "ebl/tests.rs"]
mod tests;
