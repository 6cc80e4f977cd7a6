//! The `zcx-compositor` binary: command line, logging, signals, exit codes (README "Exit
//! status": 0 clean exit, 2 not available here (another compositing manager, an importer or
//! present path this server or these options lack) or a bad option, 1 anything else).

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use zcx_compositor::backend::gl::import::ImportMode;
use zcx_compositor::backend::gl::present::PresentMode;
use zcx_compositor::compositor::{Compositor, CompositorError, Exit, Options};
use zcx_compositor::model::decor::Decorations;
use zcx_compositor::model::layout::Layout;
use zcx_compositor::scene::split::CompositeMode;

/// A Composite/Damage compositing manager that composites with OpenGL.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// X display (default: $DISPLAY).
    #[arg(long)]
    display: Option<String>,
    /// Take over from a running compositing manager.
    #[arg(long)]
    replace: bool,
    /// How window contents reach the GPU.
    #[arg(long, value_enum, default_value_t = ImportMode::Auto)]
    import: ImportMode,
    /// Root background colour, 0xRRGGBB, shown where no window is. A root pixmap published
    /// by a desktop tool comes first: `_XROOTPMAP_ID` (feh, nitrogen, hsetroot), else
    /// `_XSETROOT_ID`, when it names a pixmap of the root's depth (tiled from the top-left
    /// corner); this colour when neither does.
    #[arg(long, default_value = "0x303030", value_parser = parse_rgb)]
    background: u32,
    /// Exit after this many composited frames.
    #[arg(long)]
    frames: Option<u64>,
    /// Exit after this many seconds (fractions allowed).
    #[arg(long, value_name = "S", value_parser = parse_seconds)]
    duration: Option<Duration>,
    /// Where windows land: side-by-side scales producer windows into equal columns.
    #[arg(long, value_enum, default_value_t = Layout::Normal)]
    layout: Layout,
    /// Who produces repainted pixels: server-copy lets the X server copy opaque unscaled
    /// windows with nothing over them (GL does the rest); gl sends everything through GL.
    #[arg(long, value_enum, default_value_t = CompositeMode::ServerCopy)]
    composite: CompositeMode,
    /// How GL-composited pixels reach the screen: auto picks egl-surface on a GPU with
    /// --composite gl, else shm-put (read back, ShmPutImage), else put-image.
    #[arg(long, value_enum, default_value_t = PresentMode::Auto)]
    present: PresentMode,
    /// Draw the HUD over producer windows (the default).
    #[arg(long, overrides_with = "no_hud")]
    hud: bool,
    /// Draw no HUD.
    #[arg(long, overrides_with = "hud")]
    no_hud: bool,
    /// Draw a soft drop shadow under every rectangular window (not under shaped or ARGB
    /// windows, whose outline a rectangle would contradict).
    #[arg(long)]
    shadows: bool,
    /// Frame each producer window with a 4-pixel border coloured by its transfer mode:
    /// put-image red, shm-put amber, shm-pixmap green, dri3 blue, unknown grey.
    #[arg(long)]
    borders: bool,
    /// Keep compositing a full-screen opaque window with nothing over it. By default such a
    /// window is unredirected, so that its frames go straight to the screen, and redirected
    /// again the moment anything must be drawn over it.
    #[arg(long)]
    no_unredirect: bool,
    /// Take no frames handed over by producers (README "Frame handoff"): they present them
    /// into their windows, and the compositor copies from the windows' pixmaps.
    #[arg(long)]
    no_handoff: bool,
    /// Write the compositor's statistics as JSON to FILE at exit.
    #[arg(long, value_name = "FILE")]
    stats_json: Option<PathBuf>,
    /// More logging (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
}

fn parse_rgb(s: &str) -> Result<u32, String> {
    let hex = s.trim_start_matches("0x").trim_start_matches('#');
    u32::from_str_radix(hex, 16)
        .map_err(|e| format!("{s}: {e}"))
        .and_then(|v| {
            if v <= 0xff_ffff {
                Ok(v)
            } else {
                Err(format!("{s}: more than 24 bits"))
            }
        })
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|e| format!("{s}: {e}"))?;
    Duration::try_from_secs_f64(secs).map_err(|e| format!("{s}: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = ["warn", "info", "debug", "trace"][usize::from(cli.verbose.min(3))];
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level)).init();
    match run(&cli) {
        Ok(exit) => {
            log::info!("exiting: {exit:?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let refused = e
                .downcast_ref::<CompositorError>()
                .is_some_and(CompositorError::is_refusal);
            eprintln!("zcx-compositor: {}", zcx_x11::message::one_line(e.as_ref()));
            ExitCode::from(if refused { 2 } else { 1 })
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<Exit> {
    let (reader, writer) = UnixStream::pair().context("creating the signal pipe")?;
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let w = writer.try_clone().context("duplicating the signal pipe")?;
        signal_hook::low_level::pipe::register(sig, w).context("installing signal handlers")?;
    }
    let display = cli
        .display
        .as_deref()
        .map(std::ffi::CString::new)
        .transpose()
        .context("display name")?;
    let (conn, screen_num) = x11rb::xcb_ffi::XCBConnection::connect(display.as_deref())
        .context("cannot connect to the X server")?;
    let options = Options {
        screen_num,
        replace: cli.replace,
        import: cli.import,
        background_rgb: cli.background,
        frames: cli.frames,
        duration: cli.duration,
        layout: cli.layout,
        hud: !cli.no_hud,
        composite: cli.composite,
        decorations: Decorations {
            shadows: cli.shadows,
            borders: cli.borders,
        },
        present: cli.present,
        unredirect: !cli.no_unredirect,
        handoff: !cli.no_handoff,
    };
    let mut compositor = Compositor::new(&conn, options)?;
    let exit = compositor.run(&reader).context("compositor event loop")?;
    let (import, present, _) = compositor.path_names();
    let mut report = compositor.stats.report(import, present, cli.composite);
    (report.handoff_frames, report.handoff_refused) = compositor.handoff_counts();
    report.gl_contexts = compositor.counters.gl_contexts;
    report.gl_live = compositor.gl_live();
    log::info!(
        "{} frames composited ({:.1} fps), {:.1} MB imported, {:.2} CPU ms per frame",
        report.frames,
        report.fps,
        compositor.counters.imported_bytes as f64 / 1e6,
        report.cpu_ms_per_frame
    );
    if let Some(path) = &cli.stats_json {
        let json = serde_json::to_string_pretty(&report).context("serializing statistics")?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(exit)
}
