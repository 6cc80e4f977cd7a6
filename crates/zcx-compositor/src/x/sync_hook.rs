//! The sync hook for tests and tools: a `_ZCX_SYNC` client message sent to the root window
//! (format 32, `data[0]` = a window of the asking client, `data[1]` = a token). The compositor
//! answers with a `_ZCX_SYNC` client message to that window (`data[0]` = the token, `data[1]` =
//! frames composited so far) after it has processed every event that arrived before the
//! request and the resulting frame is on the screen.

use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::errors::ConnectionError;
use x11rb::protocol::xproto::{
    ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, Window, WindowClass,
};
use x11rb::protocol::Event;
use zcx_x11::XError;

pub const ATOM_NAME: &str = "_ZCX_SYNC";

const RESEND_INTERVAL: Duration = Duration::from_millis(500);

/// Sends the compositor's answer to one request.
pub fn answer<C: Connection>(
    conn: &C,
    atom: u32,
    reply_to: Window,
    token: u32,
    frames: u32,
) -> Result<(), ConnectionError> {
    let ev = ClientMessageEvent::new(32, reply_to, atom, [token, frames, 0, 0, 0]);
    conn.send_event(false, reply_to, EventMask::NO_EVENT, ev)?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    X(#[from] XError),
    #[error("no answer from the compositor within {0:?}")]
    Timeout(Duration),
}

zcx_x11::impl_from_x11rb!(SyncError);

/// Client side: asks the compositor on `screen_num` to paint everything up to now and waits
/// for the answer. Returns the frames composited so far and the other events read meanwhile
/// (so callers waiting for their own events lose none).
pub fn wait_for_compositor<C: Connection>(
    conn: &C,
    screen_num: usize,
    timeout: Duration,
) -> Result<(u32, Vec<Event>), SyncError> {
    let root = conn.setup().roots[screen_num].root;
    let atom = conn.intern_atom(false, ATOM_NAME.as_bytes())?.reply()?.atom;
    let window = conn.generate_id()?;
    conn.create_window(
        0,
        window,
        root,
        -1,
        -1,
        1,
        1,
        0,
        WindowClass::INPUT_ONLY,
        0,
        &CreateWindowAux::new(),
    )?;
    let token = std::process::id() ^ window;
    let ev = ClientMessageEvent::new(32, root, atom, [window, token, 0, 0, 0]);
    let deadline = Instant::now() + timeout;
    let mut others = Vec::new();
    let mut resend_at = Instant::now();
    let result = loop {
        // A compositor that is still starting may not listen yet: ask again now and then.
        if Instant::now() >= resend_at {
            conn.send_event(false, root, EventMask::SUBSTRUCTURE_NOTIFY, ev)?;
            conn.flush()?;
            resend_at = Instant::now() + RESEND_INTERVAL;
        }
        match conn.poll_for_event()? {
            Some(Event::ClientMessage(m))
                if m.type_ == atom && m.window == window && m.data.as_data32()[0] == token =>
            {
                break Ok(m.data.as_data32()[1]);
            }
            Some(other) => others.push(other),
            None if Instant::now() >= deadline => break Err(SyncError::Timeout(timeout)),
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    conn.destroy_window(window)?;
    conn.flush()?;
    result.map(|frames| (frames, others))
}
