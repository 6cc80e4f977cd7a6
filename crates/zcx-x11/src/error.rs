//! The one typed X error every zcx crate wraps: the connection broke, the server answered a
//! request with an X11 error (kept whole: its kind, the request's opcodes and name, the bad
//! value and the sequence number), or this client ran out of resource ids. It mirrors x11rb's
//! `ReplyOrIdError`, with messages a user can read, and [`impl_from_x11rb!`] lets `?` turn
//! x11rb's three error types into any error enum that holds an `XError` with `#[from]`.

pub use x11rb::errors::{ConnectionError, ReplyError, ReplyOrIdError};
pub use x11rb::protocol::ErrorKind;
pub use x11rb::x11_utils::X11Error;

/// What can go wrong talking to an X server.
#[derive(Debug, thiserror::Error)]
pub enum XError {
    /// The connection broke or could not carry a request (I/O error, fd passing, a request
    /// over the server's maximum length).
    #[error("the X connection failed: {0}")]
    Connection(#[from] ConnectionError),
    /// The server answered a request with an error.
    #[error("{}", describe(.0))]
    X11(X11Error),
    /// The server's range of resource ids for this client is used up.
    #[error("this client has used up the X resource ids the server gave it; restart it")]
    IdsExhausted,
}

impl XError {
    /// The server's error, when it refused a request.
    pub fn x11(&self) -> Option<&X11Error> {
        match self {
            Self::X11(e) => Some(e),
            _ => None,
        }
    }

    /// The kind of the server's error (`ErrorKind::Window` for BadWindow, ...), when it
    /// refused a request.
    pub fn kind(&self) -> Option<ErrorKind> {
        self.x11().map(|e| e.error_kind)
    }
}

impl From<X11Error> for XError {
    fn from(e: X11Error) -> Self {
        Self::X11(e)
    }
}

impl From<ReplyError> for XError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::ConnectionError(c) => Self::Connection(c),
            ReplyError::X11Error(x) => Self::X11(x),
        }
    }
}

impl From<ReplyOrIdError> for XError {
    fn from(e: ReplyOrIdError) -> Self {
        match e {
            ReplyOrIdError::ConnectionError(c) => Self::Connection(c),
            ReplyOrIdError::X11Error(x) => Self::X11(x),
            ReplyOrIdError::IdsExhausted => Self::IdsExhausted,
        }
    }
}

/// One line for an X11 error: its kind, the request that caused it (by name where x11rb knows
/// it), the opcodes, the bad value and the sequence number. For error types that keep an
/// `X11Error` beside their own words (a refused request named by what it was for).
pub fn describe(e: &X11Error) -> String {
    let request = match (&e.extension_name, e.request_name) {
        (Some(ext), Some(name)) => format!("{ext} {name}"),
        (None, Some(name)) => name.to_owned(),
        (Some(ext), None) => format!("an unknown {ext} request"),
        (None, None) => "an unknown request".to_owned(),
    };
    format!(
        "X error {:?} from {request} (opcode {}.{}, bad value {:#x}, sequence {})",
        e.error_kind, e.major_opcode, e.minor_opcode, e.bad_value, e.sequence
    )
}

/// Implements `From` x11rb's `ConnectionError`, `ReplyError` and `ReplyOrIdError` for error
/// enums that hold an [`XError`] with `#[from]`, so `?` works on x11rb's results directly.
/// Each conversion goes through `XError`, so nothing is flattened to a string.
///
/// ```
/// use x11rb::connection::Connection;
/// use x11rb::protocol::xproto::ConnectionExt as _;
///
/// #[derive(Debug, thiserror::Error)]
/// pub enum ManagerError {
///     #[error(transparent)]
///     X(#[from] zcx_x11::XError),
/// }
/// zcx_x11::impl_from_x11rb!(ManagerError);
///
/// fn root_width(conn: &impl Connection, root: u32) -> Result<u16, ManagerError> {
///     Ok(conn.get_geometry(root)?.reply()?.width)
/// }
/// ```
#[macro_export]
macro_rules! impl_from_x11rb {
    ($($error:ty),+ $(,)?) => {$(
        impl ::core::convert::From<$crate::error::ConnectionError> for $error {
            fn from(e: $crate::error::ConnectionError) -> Self {
                Self::from($crate::error::XError::from(e))
            }
        }
        impl ::core::convert::From<$crate::error::ReplyError> for $error {
            fn from(e: $crate::error::ReplyError) -> Self {
                Self::from($crate::error::XError::from(e))
            }
        }
        impl ::core::convert::From<$crate::error::ReplyOrIdError> for $error {
            fn from(e: $crate::error::ReplyOrIdError) -> Self {
                Self::from($crate::error::XError::from(e))
            }
        }
    )+};
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad_window() -> X11Error {
        X11Error {
            error_kind: ErrorKind::Window,
            error_code: 3,
            sequence: 7,
            bad_value: 0x1234,
            minor_opcode: 0,
            major_opcode: 14,
            extension_name: None,
            request_name: Some("GetGeometry"),
        }
    }

    #[test]
    fn a_reply_error_keeps_the_server_error_whole() {
        let e = XError::from(ReplyError::X11Error(bad_window()));
        assert_eq!(e.kind(), Some(ErrorKind::Window));
        assert_eq!(e.x11().map(|x| x.major_opcode), Some(14));
        assert_eq!(
            e.to_string(),
            "X error Window from GetGeometry (opcode 14.0, bad value 0x1234, sequence 7)"
        );
    }

    #[test]
    fn ids_exhausted_and_connection_errors_have_their_own_variants() {
        assert!(matches!(
            XError::from(ReplyOrIdError::IdsExhausted),
            XError::IdsExhausted
        ));
        let e = XError::from(ReplyOrIdError::ConnectionError(
            ConnectionError::FdPassingFailed,
        ));
        assert!(matches!(e, XError::Connection(_)));
        assert_eq!(e.kind(), None);
        assert!(e.to_string().starts_with("the X connection failed"));
    }

    #[test]
    fn an_extension_request_is_named_with_its_extension() {
        let mut x = bad_window();
        x.extension_name = Some("Composite".into());
        x.request_name = Some("RedirectSubwindows");
        x.error_kind = ErrorKind::Access;
        assert!(describe(&x).contains("X error Access from Composite RedirectSubwindows"));
    }
}
