//! Starting the producer: connect and probe, choose the mode (`auto` falls back with one
//! warning), check the frame size against memory, build the source, and hand over to the
//! frame loop (`event_loop`).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::bail;
use anyhow::Context;
use x11rb::connection::Connection;
use zcx_x11::format::FrameFormat;
use zcx_x11::probe::ServerProbe;

use crate::cli::{Cli, ModeChoice};
use crate::outcome::Outcome;
use crate::source::build_source;
use crate::transport::Mode;

/// A mode the user asked for that this server cannot do.
#[derive(Debug, thiserror::Error)]
#[error(
    "--mode {mode} is not available here: {reason}. Modes available on this display: {available}"
)]
pub struct ModeUnavailable {
    pub mode: Mode,
    pub reason: String,
    pub available: String,
}

/// Connects, runs until done, and returns the per-mode summaries.
pub fn run(cli: &Cli, stop: Arc<AtomicBool>) -> anyhow::Result<Outcome> {
    let connected = zcx_x11::connect(cli.display.as_deref())?;
    let probe = ServerProbe::probe(&connected.conn, connected.screen_num, connected.socket)
        .context("the X connection failed while probing the server")?;
    log::info!(
        "server: {} {} over a {:?} socket",
        probe.vendor,
        probe.release,
        probe.socket
    );
    if probe.present.is_none() {
        log::info!(
            "the server has no Present extension: shm-pixmap will show frames with CopyArea"
        );
    }
    let first = choose_mode(cli.mode, &probe)?;
    let setup = connected.conn.setup();
    let format = FrameFormat::for_screen(setup, &setup.roots[connected.screen_num])?;
    let (width, height) = cli.size;
    check_memory(format.frame_bytes(width, height), usize::from(cli.buffers))?;
    let source = build_source(&cli.source, width, height)?;
    let mut producer =
        crate::event_loop::Producer::new(&connected, &probe, format, cli, source, stop)?;
    producer.run(first)
}

/// Refuses frame sizes whose buffers would not fit comfortably in the memory available: every
/// buffer is pre-faulted, so an oversized run would push the machine into swap or the OOM killer.
fn check_memory(frame_bytes: usize, buffers: usize) -> anyhow::Result<()> {
    const GIB: f64 = (1u64 << 30) as f64;
    // The shared rings hold `buffers` frames; put-image holds one more client-side.
    let needed = frame_bytes as u64 * (buffers as u64 + 1);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let available = meminfo
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|kib| kib * 1024);
    match available {
        Some(available) if needed > available / 2 => bail!(
            "frames of {:.2} GiB in {buffers} buffers need {:.1} GiB, but only {:.1} GiB of memory \
             is available; use a smaller --size or fewer --buffers",
            frame_bytes as f64 / GIB,
            needed as f64 / GIB,
            available as f64 / GIB
        ),
        _ => Ok(()),
    }
}

/// Picks the mode to start with; `auto` falls back with one warning.
fn choose_mode(choice: ModeChoice, probe: &ServerProbe) -> anyhow::Result<Mode> {
    let available = Mode::available(probe);
    let names = || {
        available
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match choice {
        ModeChoice::Explicit(mode) => match mode.unavailable_reason(probe) {
            None => Ok(mode),
            Some(reason) => Err(ModeUnavailable {
                mode,
                reason,
                available: names(),
            }
            .into()),
        },
        ModeChoice::Auto => {
            let best = available.first().copied().unwrap_or(Mode::PutImage);
            match best {
                Mode::Dri3 => log::info!("auto: DRI3 dma-buf buffers work here; using {best}"),
                Mode::ShmPixmap => {
                    let why = Mode::Dri3.unavailable_reason(probe).unwrap_or_default();
                    log::info!("auto: {why}; MIT-SHM shared pixmaps work here; using {best}");
                }
                _ => {
                    let why = Mode::ShmPixmap
                        .unavailable_reason(probe)
                        .unwrap_or_default();
                    log::warn!("auto: {why}; using {best}");
                }
            }
            Ok(best)
        }
    }
}
