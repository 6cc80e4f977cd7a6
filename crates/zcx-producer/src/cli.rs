//! Command-line options of `zcx-producer`.

use std::num::{NonZeroU32, NonZeroU64};
use std::path::PathBuf;

use clap::Parser;

use crate::source::SourceSpec;
use crate::transport::Mode;

/// Largest window edge the X protocol allows (coordinates are 16-bit signed).
pub const MAX_EDGE_PX: u32 = 32767;

#[derive(Debug, Parser)]
#[command(
    name = "zcx-producer",
    version,
    about = "Streams animated video-like frames into an X window through a chosen transfer path \
             and measures what each path costs on both sides of the X socket.",
    after_help = "Keys in the window: m cycles the mode, q or Escape quits.\n\
                  Exit status: 0 done, 1 error, 2 mode unavailable on this server or a bad \
                  option, 3 the window was destroyed by another client."
)]
pub struct Cli {
    /// Transfer path: put-image, shm-put, shm-pixmap, dri3, or auto (the best this server offers).
    #[arg(long, default_value = "auto", value_parser = parse_mode)]
    pub mode: ModeChoice,

    /// Frame size in pixels, WxH.
    #[arg(long, default_value = "3840x2160", value_parser = parse_size)]
    pub size: (u32, u32),

    /// Frames per second to aim for; 0 = as fast as the path allows. Paced, the Present paths
    /// wait for the next vblank, except shm-pixmap while a compositing manager owns the screen
    /// (its repaint is what reaches the screen; a vblank wait first would only add a frame).
    // `std::option::Option` spelled out: clap's derive would make a plain `Option` an optional
    // argument; this one always has a value, and `None` is the command line's 0.
    #[arg(long, default_value = "60", value_parser = parse_fps)]
    pub fps: std::option::Option<NonZeroU32>,

    /// Frames to send before exiting; 0 = until the window is closed.
    #[arg(long, default_value = "0", value_parser = parse_frames)]
    pub frames: std::option::Option<NonZeroU64>,

    /// Frames of each mode left out of the statistics.
    #[arg(long, default_value_t = 30)]
    pub warmup: u64,

    /// What to show: `testcard` or `asset:<path>` (an image, panned and zoomed).
    #[arg(long, default_value = "testcard")]
    pub source: SourceSpec,

    /// X display to connect to (default: $DISPLAY).
    #[arg(long)]
    pub display: Option<String>,

    /// Write a JSON array with one summary object per mode that ran.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,

    /// Buffers in the shared-memory ring (2 to 8).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(2..=8))]
    pub buffers: u8,

    /// Show shm-pixmap frames with CopyArea instead of PresentPixmap (to compare the two).
    #[arg(long)]
    pub no_present: bool,

    /// Hand shm-pixmap frames straight to a compositing manager that takes them (zcx-compositor:
    /// one copy to the screen instead of two; README "Frame handoff"), or always present them.
    #[arg(long, value_enum, default_value_t = Handoff::Auto)]
    pub handoff: Handoff,

    /// More log output (-v info, -vv debug); RUST_LOG also works.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// `--handoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Handoff {
    /// Hand frames to the compositing manager while one that takes them owns the screen.
    Auto,
    /// Always present frames in the window.
    Off,
}

/// `--mode`: a mode, or let the producer choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeChoice {
    Auto,
    Explicit(Mode),
}

fn parse_mode(s: &str) -> Result<ModeChoice, String> {
    if s == "auto" {
        return Ok(ModeChoice::Auto);
    }
    s.parse().map(ModeChoice::Explicit).map_err(|_| {
        let names: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
        format!("expected auto or one of {}", names.join(", "))
    })
}

/// `--fps`: frames per second, 0 for no pacing (`None`).
pub fn parse_fps(s: &str) -> Result<Option<NonZeroU32>, String> {
    s.parse::<u32>()
        .map(NonZeroU32::new)
        .map_err(|e| format!("{s:?}: {e}"))
}

/// `--frames`: a frame count, 0 for no limit (`None`).
pub fn parse_frames(s: &str) -> Result<Option<NonZeroU64>, String> {
    s.parse::<u64>()
        .map(NonZeroU64::new)
        .map_err(|e| format!("{s:?}: {e}"))
}

/// Parses `WxH` with both edges in 1..=32767.
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{s:?} is not WxH (for example 3840x2160)"))?;
    let edge = |v: &str| -> Result<u32, String> {
        let n: u32 = v
            .trim()
            .parse()
            .map_err(|_| format!("{v:?} in {s:?} is not a whole number"))?;
        if n == 0 {
            return Err(format!(
                "{s:?}: a frame needs at least one pixel in each direction"
            ));
        }
        if n > MAX_EDGE_PX {
            return Err(format!(
                "{s:?}: X windows are at most {MAX_EDGE_PX} pixels on a side"
            ));
        }
        Ok(n)
    };
    Ok((edge(w)?, edge(h)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("3840x2160"), Ok((3840, 2160)));
        assert_eq!(parse_size("1x1"), Ok((1, 1)));
        assert_eq!(parse_size("4097x3"), Ok((4097, 3)));
        assert!(parse_size("0x0")
            .unwrap_err()
            .contains("at least one pixel"));
        assert!(parse_size("40000x10").unwrap_err().contains("32767"));
        assert!(parse_size("big").is_err());
        assert!(parse_size("10x-1").is_err());
    }

    #[test]
    fn zero_means_no_limit() {
        let cli = |args: &[&str]| {
            Cli::try_parse_from([&["zcx-producer"][..], args].concat()).expect("valid options")
        };
        let defaults = cli(&[]);
        assert_eq!((defaults.fps, defaults.frames), (NonZeroU32::new(60), None));
        let zero = cli(&["--fps", "0", "--frames", "0"]);
        assert_eq!((zero.fps, zero.frames), (None, None));
        let some = cli(&["--fps", "30", "--frames", "5"]);
        assert_eq!(
            (some.fps, some.frames),
            (NonZeroU32::new(30), NonZeroU64::new(5))
        );
        assert!(Cli::try_parse_from(["zcx-producer", "--fps", "-1"]).is_err());
    }

    #[test]
    fn modes() {
        assert_eq!(parse_mode("auto"), Ok(ModeChoice::Auto));
        assert_eq!(
            parse_mode("shm-pixmap"),
            Ok(ModeChoice::Explicit(Mode::ShmPixmap))
        );
        assert!(parse_mode("shm").unwrap_err().contains("put-image"));
    }
}
