//! What a transport reports when it fails ([`TransportError`]: the X error kept whole, a
//! refused request named by what it was for), and the helpers that sort x11rb's errors so.

use x11rb::connection::Connection;
use zcx_x11::error::{describe, ReplyError, X11Error};
use zcx_x11::XError;

/// Errors a transport reports; the producer turns them into one clear message.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error(transparent)]
    X(#[from] XError),
    #[error(transparent)]
    Shm(#[from] zcx_x11::shm::ShmError),
    #[error("the X server refused {what}: {}", describe(error))]
    Refused { what: &'static str, error: X11Error },
    #[error("{0}")]
    Unsupported(String),
}

zcx_x11::impl_from_x11rb!(TransportError);

/// `e` as the server's refusal of `what` (a connection failure stays one).
pub(crate) fn refused(what: &'static str, e: ReplyError) -> TransportError {
    match XError::from(e) {
        XError::X11(error) => TransportError::Refused { what, error },
        other => TransportError::X(other),
    }
}

/// Waits for the server's verdict on a request whose failure must be reported now.
pub(crate) fn check<C: Connection>(
    cookie: x11rb::cookie::VoidCookie<'_, C>,
    what: &'static str,
) -> Result<(), TransportError> {
    cookie.check().map_err(|e| refused(what, e))
}
