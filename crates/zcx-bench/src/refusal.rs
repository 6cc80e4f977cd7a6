//! `Refusal`: what was asked cannot be done here: a bench matrix in which this display can run
//! nothing (every mode or every compositor asked for is missing here), or zcx-compositor
//! refusing to start (another compositing manager in the way, an importer this server lacks).
//! `zcx` exits with status 2 for it (README "Exit status"), as for the IPC experiment's
//! refusals (`IpcError::is_refusal`) and the names and values clap rejects; any other error
//! is 1.

/// The message says what was refused and what to do instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);
