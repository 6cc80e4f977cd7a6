//! `Refusal`: what was asked cannot be done here, or was asked wrongly: a producer mode or
//! compositor this display lacks, another compositing manager in the way, an unknown name or an
//! invalid value. `zcx` exits with status 2 for it (README "Exit status"); any other error
//! is 1.

/// The message says what was refused and what to do instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);
