//! `XError` keeps what a real X server says: the error kind, the request's opcodes and name,
//! the bad value; a broken connection is its own variant. Each test has its own Xvfb.

use x11rb::connection::Connection;
use x11rb::protocol::composite::{ConnectionExt as _, Redirect};
use x11rb::protocol::xproto::ConnectionExt as _;
use zcx_testkit::Xvfb;
use zcx_x11::error::ErrorKind;
use zcx_x11::XError;

/// An id no client of a fresh server has created (the server's own ids are below 0x200000).
const BOGUS: u32 = 0x1f_fff0;

/// A crate-style error: `?` on x11rb's results reaches `XError` through the macro.
#[derive(Debug, thiserror::Error)]
enum AppError {
    #[error(transparent)]
    X(#[from] XError),
}
zcx_x11::impl_from_x11rb!(AppError);

fn window_attributes(conn: &impl Connection, window: u32) -> Result<u8, AppError> {
    Ok(conn
        .get_window_attributes(window)?
        .reply()?
        .map_state
        .into())
}

#[test]
fn a_bogus_window_is_bad_window_with_its_request() {
    let xvfb = Xvfb::start().expect("Xvfb");
    let (conn, _) = xvfb.connect();
    let AppError::X(e) = window_attributes(&conn, BOGUS).expect_err("a bogus window");
    let x = e.x11().unwrap_or_else(|| panic!("not an X11 error: {e:?}"));
    assert_eq!(x.error_kind, ErrorKind::Window, "{e}");
    assert_eq!(
        x.major_opcode, 3,
        "GetWindowAttributes is core request 3: {e}"
    );
    assert_eq!(x.bad_value, BOGUS, "{e}");
    assert_eq!(x.request_name, Some("GetWindowAttributes"), "{e}");
    assert!(
        e.to_string()
            .contains("X error Window from GetWindowAttributes"),
        "{e}"
    );
}

#[test]
fn get_geometry_of_a_bogus_id_is_bad_drawable() {
    let xvfb = Xvfb::start().expect("Xvfb");
    let (conn, _) = xvfb.connect();
    let e = XError::from(
        conn.get_geometry(BOGUS)
            .expect("send")
            .reply()
            .expect_err("bogus"),
    );
    assert_eq!(e.kind(), Some(ErrorKind::Drawable), "{e}");
    assert_eq!(e.x11().map(|x| x.major_opcode), Some(14), "{e}");
}

#[test]
fn an_extension_error_names_the_extension() {
    let xvfb = Xvfb::start().expect("Xvfb");
    let (conn, _) = xvfb.connect();
    let e = XError::from(
        conn.composite_redirect_window(BOGUS, Redirect::MANUAL)
            .expect("send")
            .check()
            .expect_err("bogus"),
    );
    let x = e.x11().unwrap_or_else(|| panic!("not an X11 error: {e:?}"));
    assert_eq!(x.error_kind, ErrorKind::Window, "{e}");
    assert_eq!(x.extension_name.as_deref(), Some("Composite"), "{e}");
    assert_eq!(x.request_name, Some("RedirectWindow"), "{e}");
    assert!(x.major_opcode >= 128, "an extension's opcode: {e}");
}

#[test]
fn a_server_that_went_away_is_a_connection_error() {
    let xvfb = Xvfb::start().expect("Xvfb");
    let (conn, _) = xvfb.connect();
    drop(xvfb);
    let e: XError = match conn.get_input_focus() {
        Err(c) => c.into(),
        Ok(cookie) => cookie.reply().map(|_| ()).expect_err("gone").into(),
    };
    assert!(matches!(e, XError::Connection(_)), "{e:?}");
    assert!(e.to_string().starts_with("the X connection failed"), "{e}");
}
