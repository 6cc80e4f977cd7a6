//! Under load, the shared-memory paths never rewrite a buffer the server still reads: an
//! observer that reads the window's whole stamp column in one GetImage (atomic with respect to
//! other requests) must never see a torn frame (top stamp ≠ bottom stamp) or frames going
//! backwards. Writing a buffer before its ShmCompletion/IdleNotify shows up as exactly that.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{find_producer_window, stderr, Producer};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};
use zcx_testkit::Xvfb;
use zcx_x11::stamp::Stamp;

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;
/// How long the producer's 400 frames may take to come and go (a few seconds on a quiet
/// machine; the limit leaves room for a loaded one).
const OBSERVE_LIMIT: Duration = Duration::from_secs(120);

fn observe(mode: &str) {
    let xvfb = Xvfb::builder()
        .size(WIDTH, HEIGHT, 24)
        .start()
        .expect("Xvfb");
    let size = format!("{WIDTH}x{HEIGHT}");
    let producer = Producer::spawn(&[
        "--display",
        xvfb.display(),
        "--mode",
        mode,
        "--size",
        &size,
        "--fps",
        "0",
        "--buffers",
        "2",
        "--frames",
        "400",
        "--warmup",
        "0",
    ]);
    let (conn, screen) = xvfb.connect();
    let window = find_producer_window(&conn, conn.setup().roots[screen].root);
    let mut seen = BTreeSet::new();
    let mut last = 0u64;
    let mut torn = Vec::new();
    // No sleep between reads (sampling as fast as the server answers), but a deadline.
    let deadline = Instant::now() + OBSERVE_LIMIT;
    loop {
        assert!(
            Instant::now() < deadline,
            "{mode}: the producer's window still exists after {OBSERVE_LIMIT:?} (400 frames); \
             {} distinct frames seen, the last {last}",
            seen.len()
        );
        // One request reads both stamp rows: the server answers it between two frames.
        let reply = conn
            .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, 8, HEIGHT as u16, !0)
            .ok()
            .and_then(|c| c.reply().ok());
        let Some(reply) = reply else {
            // Not viewable yet (BadMatch) or gone (BadWindow): the producer has finished when
            // its window no longer exists.
            match conn
                .get_window_attributes(window)
                .ok()
                .and_then(|c| c.reply().ok())
            {
                Some(_) => continue,
                None => break,
            }
        };
        let column: Vec<u32> = reply
            .data
            .chunks_exact(4)
            .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
            .collect();
        let top = Stamp::from_pixels(&column[..8]);
        let bottom = Stamp::from_pixels(&column[column.len() - 8..]);
        match (top, bottom) {
            (Ok(t), Ok(b)) if t == b => {
                assert!(
                    t.frame >= last,
                    "{mode}: frame {} seen after frame {last}",
                    t.frame
                );
                last = t.frame;
                seen.insert(t.frame);
            }
            (Ok(t), Ok(b)) => torn.push((t.frame, b.frame)),
            _ => {} // before the first frame: black window
        }
    }
    let out = producer.finish(Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{mode}: {}", stderr(&out));
    assert!(
        torn.is_empty(),
        "{mode}: torn frames (top, bottom): {torn:?}"
    );
    assert!(
        seen.len() >= 20,
        "{mode}: only {} distinct frames observed",
        seen.len()
    );
}

#[test]
fn shm_put_never_tears() {
    observe("shm-put");
}

#[test]
fn shm_pixmap_never_tears() {
    observe("shm-pixmap");
}
