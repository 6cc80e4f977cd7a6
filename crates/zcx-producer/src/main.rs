//! `zcx-producer`: parses the command line, sets up logging and signal handling, runs the
//! producer and reports: the summary table, `--summary-json`, and the exit status.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;
use zcx_producer::app::{self, ModeUnavailable};
use zcx_producer::cli::Cli;
use zcx_producer::outcome::Ending;
use zcx_producer::stats::summary_table;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp_millis()
        .init();
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("zcx-producer: cannot install a handler for signal {signal}: {e}");
            return ExitCode::FAILURE;
        }
    }
    match app::run(&cli, stop) {
        Ok(outcome) => {
            print!("{}", summary_table(&outcome.summaries));
            if let Some(path) = &cli.summary_json {
                if let Err(e) = write_json(path, &outcome.summaries) {
                    eprintln!(
                        "zcx-producer: cannot write {}: {}",
                        path.display(),
                        zcx_x11::message::one_line(e.as_ref())
                    );
                    return ExitCode::FAILURE;
                }
            }
            match outcome.ending {
                Ending::Finished => ExitCode::SUCCESS,
                Ending::WindowDestroyed => {
                    eprintln!("zcx-producer: the window was destroyed by another client; stopping");
                    ExitCode::from(3)
                }
            }
        }
        Err(e) => {
            eprintln!("zcx-producer: {}", zcx_x11::message::one_line(e.as_ref()));
            if e.downcast_ref::<ModeUnavailable>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn write_json(
    path: &std::path::Path,
    summaries: &[zcx_producer::stats::Summary],
) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(summaries)?;
    std::fs::write(path, json + "\n")?;
    Ok(())
}
