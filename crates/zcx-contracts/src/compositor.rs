//! zcx-compositor's side of the contracts: its `--stats-json` report, and the values of its
//! `--import` and `--composite` options, which zcx-bench names when it starts the compositor
//! (so a bench configuration cannot name an importer the compositor does not have).

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use crate::{Percentiles, Versioned};

/// The `schema` of [`StatsReport`].
pub const STATS_SCHEMA: &str = "zcx-compositor-stats/2";

/// The `--import` choices: how window contents reach the GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportMode {
    GetImage,
    ShmGetImage,
    EglPixmap,
    Dri3,
    Auto,
}

/// The `--composite` choices: who produces each repainted pixel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompositeMode {
    /// The X server copies opaque unscaled uncovered window areas; GL does the rest.
    #[default]
    ServerCopy,
    /// Everything through GL (import, draw, read back, present).
    Gl,
}

impl ImportMode {
    /// Every importer zcx-compositor implements (every choice but `auto`).
    pub const IMPORTERS: [ImportMode; 4] = [
        ImportMode::GetImage,
        ImportMode::ShmGetImage,
        ImportMode::EglPixmap,
        ImportMode::Dri3,
    ];

    /// The command-line name (`shm-get-image`).
    pub fn name(self) -> &'static str {
        match self {
            ImportMode::GetImage => "get-image",
            ImportMode::ShmGetImage => "shm-get-image",
            ImportMode::EglPixmap => "egl-pixmap",
            ImportMode::Dri3 => "dri3",
            ImportMode::Auto => "auto",
        }
    }
}

impl CompositeMode {
    /// The command-line name (`server-copy`).
    pub fn name(self) -> &'static str {
        match self {
            CompositeMode::ServerCopy => "server-copy",
            CompositeMode::Gl => "gl",
        }
    }
}

impl std::fmt::Display for ImportMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl std::fmt::Display for CompositeMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl std::str::FromStr for ImportMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ValueEnum::from_str(s, false)
    }
}

/// What `--stats-json` writes at exit (README "zcx-compositor").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsReport {
    /// [`STATS_SCHEMA`].
    pub schema: String,
    /// Frames composited (repaints that reached the screen).
    pub frames: u64,
    pub fps: f64,
    pub import_ms: Percentiles,
    pub draw_ms: Percentiles,
    pub present_ms: Percentiles,
    /// Compositor process CPU (user + system) per composited frame.
    pub cpu_ms_per_frame: f64,
    /// Wake-ups after which nothing needed painting.
    pub idle_wakeups: u64,
    /// The importer that ran (`auto` resolved), for display.
    pub import: String,
    /// The present path that ran (`auto` resolved), for display.
    pub present: String,
    /// The composite strategy (`--composite`).
    pub composite: CompositeMode,
    pub duration_s: f64,
    /// Frames producers handed over that were taken, and refused (`handoff`).
    pub handoff_frames: u64,
    pub handoff_refused: u64,
    /// GL contexts made (each with its target, textures and present path): with
    /// `server-copy` 0 while nothing on the screen ever needed GL (version 2).
    pub gl_contexts: u64,
    /// A GL context was held at exit: `server-copy` drops it after a few idle seconds
    /// (version 2).
    pub gl_live: bool,
}

impl Versioned for StatsReport {
    const SCHEMA: &'static str = STATS_SCHEMA;
    fn schema(&self) -> &str {
        &self.schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_json, ContractError};

    /// Version 2 of the format (version 1 without `gl_contexts` and `gl_live`), as
    /// zcx-compositor writes it: a rename or removal on either side fails here (and in
    /// zcx-compositor's `tests/contract.rs`, which reads the real binary's file with the same
    /// reader).
    const V2: &str = r#"{
  "schema": "zcx-compositor-stats/2",
  "frames": 120, "fps": 59.5,
  "import_ms": {"p50": 1.0, "p99": 2.0}, "draw_ms": {"p50": 0.5, "p99": 0.9},
  "present_ms": {"p50": 3.0, "p99": 4.5},
  "cpu_ms_per_frame": 0.4, "idle_wakeups": 3,
  "import": "shm-get-image", "present": "shm-put", "composite": "server-copy",
  "duration_s": 2.0, "handoff_frames": 100, "handoff_refused": 1,
  "gl_contexts": 1, "gl_live": false
}"#;

    #[test]
    fn version_2_reads_and_writes_back_the_same() {
        let r: StatsReport = read_json(V2).expect("version 2 reads");
        assert_eq!(r.composite, CompositeMode::ServerCopy);
        assert_eq!(r.present_ms.p99, 4.5);
        let again = serde_json::to_value(&r).expect("serializable");
        let v2: serde_json::Value = serde_json::from_str(V2).expect("JSON");
        assert_eq!(again, v2);
    }

    #[test]
    fn renamed_missing_or_foreign_fields_and_other_schemas_are_refused() {
        let renamed = V2.replace("\"cpu_ms_per_frame\"", "\"cpu_per_frame\"");
        let missing = V2.replace("\"idle_wakeups\": 3,", "");
        let other = V2.replace("stats/2", "stats/1");
        for (doc, what) in [(&renamed, "cpu_per_frame"), (&missing, "idle_wakeups")] {
            let e = read_json::<StatsReport>(doc).expect_err(what).to_string();
            assert!(e.contains(what) && e.contains(STATS_SCHEMA), "{e}");
        }
        assert!(matches!(
            read_json::<StatsReport>(&other),
            Err(ContractError::Schema { .. })
        ));
    }

    #[test]
    fn option_values_have_their_command_line_names() {
        for m in ImportMode::value_variants() {
            assert_eq!(m.name().parse::<ImportMode>(), Ok(*m));
            let json = serde_json::to_string(m).expect("serializable");
            assert_eq!(json, format!("\"{}\"", m.name()));
        }
        for m in CompositeMode::value_variants() {
            assert_eq!(CompositeMode::from_str(m.name(), false), Ok(*m));
        }
        assert!("telepathy".parse::<ImportMode>().is_err());
        assert!(!ImportMode::IMPORTERS.contains(&ImportMode::Auto));
    }
}
