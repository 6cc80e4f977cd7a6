//! Frame sources: what the producer draws into each frame before it is stamped and sent.

/// A frame to render into: `width * height` pixels, row-major, no padding between rows.
/// Each pixel is `0x00RRGGBB` (depth 24, 32 bits per pixel, native byte order).
#[derive(Debug)]
pub struct FrameMut<'a> {
    pub pixels: &'a mut [u32],
    pub width: u32,
    pub height: u32,
}

/// A producer of animated frames.
pub trait FrameSource: Send {
    /// A short description for logs and the window title, e.g. `testcard` or `asset:demo.jpg`.
    fn describe(&self) -> String;

    /// Renders frame `frame_number` into `frame`, writing every pixel.
    fn render(&mut self, frame_number: u64, frame: FrameMut<'_>);
}

mod asset;
mod testcard;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use asset::{resolve_asset_path, AssetSource, DEMO_ASSET};
pub use testcard::TestCard;

/// Which frame source to run, as given on the command line: `testcard` or `asset:<path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// The procedural animated test card ([`TestCard`]).
    TestCard,
    /// An image shown with slow pan and zoom ([`AssetSource`]). A relative path that does not
    /// exist is also looked up in the workspace's `demo-assets/`.
    Asset(PathBuf),
}

impl FromStr for SourceSpec {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<SourceSpec, SourceError> {
        if s == "testcard" {
            return Ok(SourceSpec::TestCard);
        }
        match s.strip_prefix("asset:") {
            Some("") => Err(SourceError::BadSpec {
                given: s.to_owned(),
                why: "the asset path is empty",
            }),
            Some(path) => Ok(SourceSpec::Asset(PathBuf::from(path))),
            None => Err(SourceError::BadSpec {
                given: s.to_owned(),
                why: "unknown source",
            }),
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::TestCard => f.write_str("testcard"),
            SourceSpec::Asset(path) => write!(f, "asset:{}", path.display()),
        }
    }
}

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

/// Builds the source `spec` names for frames of `width` x `height` pixels. Slow for assets
/// (decoding and one scaling pass): call it once, before the frame loop.
pub fn build_source(
    spec: &SourceSpec,
    width: u32,
    height: u32,
) -> Result<Box<dyn FrameSource>, SourceError> {
    if width == 0 || height == 0 {
        return Err(SourceError::EmptyFrame { width, height });
    }
    match spec {
        SourceSpec::TestCard => Ok(Box::new(TestCard::new())),
        SourceSpec::Asset(path) => Ok(Box::new(AssetSource::open(path, width, height)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        for text in [
            "testcard",
            "asset:demo.jpg",
            "asset:/tmp/a b.png",
            "asset:x:y",
        ] {
            let spec: SourceSpec = text.parse().expect(text);
            assert_eq!(spec.to_string(), text);
        }
        assert_eq!(
            "asset:dir/a.png".parse::<SourceSpec>().ok(),
            Some(SourceSpec::Asset("dir/a.png".into()))
        );
    }

    #[test]
    fn bad_specs_are_explained() {
        for text in ["", "Testcard", "video:x", "asset:", "asset"] {
            let err = text.parse::<SourceSpec>().expect_err(text);
            assert!(
                matches!(err, SourceError::BadSpec { .. }),
                "{text}: {err:?}"
            );
            let msg = err.to_string();
            assert!(
                msg.contains("testcard") && msg.contains("asset:<path"),
                "{msg}"
            );
        }
    }

    #[test]
    fn empty_frames_are_refused() {
        let err = build_source(&SourceSpec::TestCard, 0, 10).err();
        assert!(matches!(
            err,
            Some(SourceError::EmptyFrame {
                width: 0,
                height: 10
            })
        ));
    }

    #[test]
    fn testcard_builds() {
        let source = build_source(&SourceSpec::TestCard, 4, 4).expect("testcard");
        assert_eq!(source.describe(), "testcard");
    }
}
