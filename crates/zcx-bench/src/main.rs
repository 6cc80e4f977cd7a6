//! The `zcx` binary: command line, logging, and exit statuses over the `zcx_bench` library.

mod cmd_ipc;

use clap::{Parser, Subcommand};

/// Zero-copy frame transport in X11, measured: probe, demo, bench, ipc.
#[derive(Debug, Parser)]
#[command(name = "zcx", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log output (-v info, -vv debug); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One frame at a time between two processes: socket writes of four sizes vs a shared memfd.
    Ipc(cmd_ipc::IpcCli),
    /// What this display supports: extensions, shared pixmaps, DRI3, GL, modes and importers.
    Probe {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// X display (default: $DISPLAY).
        #[arg(long)]
        display: Option<String>,
    },
    /// The receiving process of `zcx ipc` (started by it).
    #[command(name = "__ipc-peer", hide = true)]
    IpcPeer(zcx_bench::ipc::PeerArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let level = ["warn", "info", "debug", "trace"][usize::from(cli.verbose.min(3))];
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level)).init();
    let result = match &cli.command {
        Command::Ipc(args) => cmd_ipc::run(args),
        Command::Probe { json, display } => probe(*json, display.as_deref()),
        Command::IpcPeer(args) => zcx_bench::ipc::run_peer(args).map_err(anyhow::Error::from),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zcx: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn probe(json: bool, display: Option<&str>) -> anyhow::Result<()> {
    let report = zcx_bench::probe::probe_display(display)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", zcx_bench::probe::render_text(&report));
    }
    Ok(())
}
