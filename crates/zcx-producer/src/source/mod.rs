//! Frame sources: what the producer draws into each frame before it is stamped and sent.

mod asset;
mod error;
mod frame;
mod stream;
mod testcard;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use asset::{resolve_asset_path, AssetSource, DEMO_ASSET};
pub use error::SourceError;
pub use frame::{FrameMut, FrameSource};
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
