//! Why a frame source could not be set up.

use std::path::PathBuf;

/// Why a frame source could not be set up. Each variant says what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("bad source `{given}`: {why}; use `testcard` or `asset:<path to a PNG or JPEG>`")]
    BadSpec { given: String, why: &'static str },
    #[error("frame size {width}x{height} is empty; a frame source needs at least 1x1 pixels")]
    EmptyFrame { width: u32, height: u32 },
    #[error(
        "asset `{}` not found (tried {}); check the path, or put the file in demo-assets/",
        given.display(),
        tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and ")
    )]
    AssetMissing { given: PathBuf, tried: Vec<PathBuf> },
    #[error("cannot read asset `{}`: {source}; check its permissions", path.display())]
    AssetUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot decode asset `{}`: {source}; the file may be truncated or corrupt, or not a \
         PNG or JPEG: re-export it or pick another image",
        path.display()
    )]
    AssetCorrupt {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error(
        "asset `{}` is {width}x{height} pixels; use an image of at least {min}x{min}",
        path.display()
    )]
    AssetTooSmall {
        path: PathBuf,
        width: u32,
        height: u32,
        min: u32,
    },
    #[error(
        "asset `{}` would need a {width}x{height} working image for this frame size, which is \
         too large; use a smaller frame",
        path.display()
    )]
    FrameTooLarge {
        path: PathBuf,
        width: u64,
        height: u64,
    },
}
