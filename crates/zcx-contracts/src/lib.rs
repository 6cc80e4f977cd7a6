//! The contracts between zcx's programs, as types both sides compile against: what
//! zcx-compositor writes with `--stats-json` ([`StatsReport`]), the values of its `--import` and
//! `--composite` options ([`ImportMode`], [`CompositeMode`]) that zcx-bench passes to it, the
//! [`Percentiles`] both reports use, and [`read_json`]/[`read_json_list`], the strict readers
//! of versioned JSON documents. Serde (serde_json), clap's `ValueEnum` and thiserror only: no
//! X, no GL, so zcx-bench reads the compositor's figures without linking the compositor.
//!
//! A versioned document names its format in a `schema` field (`"<format>/<version>"`). Readers
//! refuse unknown fields and another schema, so a renamed, missing or added field fails where
//! the document is read instead of showing up later as an empty cell. Change a field: bump the
//! version.

mod compositor;
mod versioned;

pub use compositor::{CompositeMode, ImportMode, StatsReport, STATS_SCHEMA};
pub use versioned::{read_json, read_json_list, ContractError, Versioned};

use serde::{Deserialize, Serialize};

/// p50 and p99 in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
}
