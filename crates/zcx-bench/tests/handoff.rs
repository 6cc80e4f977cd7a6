//! The frame handoff between zcx-producer and zcx-compositor (README "Frame handoff"), each
//! test on its own Xvfb: handed frames reach the screen with their pixels and both stamps, and
//! a withdrawal gives the window its own contents back; the
//! release gating is what keeps them whole (a client that ignores releases tears, and the
//! screen observer sees it); the producer falls back to Present when the compositor is killed
//! and hands off again to a new one; forged frame messages change nothing on the screen; and
//! `--handoff off` / `--no-handoff` present frames as before; switching modes with `m` leaves
//! the handoff for the next path and comes back to it.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::handoff_client::{wait_for_handoff_owner, HandoffClient};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};
use x11rb::rust_connection::RustConnection;
use zcx_bench::observer::screen::find_producer_windows;
use zcx_testkit::{get_pixel, get_rect, poll_until, ChildGuard, TestWindow, Xvfb};
use zcx_x11::handoff::{DoneStatus, FrameMessage};
use zcx_x11::stamp::Stamp;

const TIMEOUT: Duration = Duration::from_secs(20);
const BACKGROUND: u32 = 0x0030_3030;

fn xvfb(width: u32, height: u32) -> Xvfb {
    Xvfb::builder()
        .size(width, height, 24)
        .start()
        .expect("starting Xvfb")
}

/// zcx-compositor on `xvfb` with `args`, once it owns the screen.
fn compositor(xvfb: &Xvfb, conn: &RustConnection, args: &[&str]) -> ChildGuard {
    let mut cmd = Command::new(common::workspace_bin("zcx-compositor", "zcx-compositor"));
    cmd.args(["--display", xvfb.display()])
        .args(args)
        .stdout(Stdio::null());
    let child = ChildGuard::spawn(&mut cmd);
    poll_until(TIMEOUT, "the compositor to own the screen", || {
        let owner = common::handoff_client::selection_owner(conn, 0)?;
        (owner != x11rb::NONE).then_some(())
    });
    child
}

/// Waits until the compositor has painted everything sent before (its sync hook).
fn sync(conn: &RustConnection) {
    conn.flush().expect("flush");
    zcx_compositor::x::sync_hook::wait_for_compositor(conn, 0, TIMEOUT).expect("compositor sync");
}

/// The top and bottom stamps of the `width`x`height` area at (x, y) of `drawable`, read in
/// one GetImage (so no request lands between the two rows).
fn stamps(
    conn: &RustConnection,
    drawable: u32,
    (x, y): (i16, i16),
    height: u16,
) -> Option<(Stamp, Stamp)> {
    let reply = conn
        .get_image(ImageFormat::Z_PIXMAP, drawable, x, y, 8, height, !0)
        .ok()?
        .reply()
        .ok()?;
    let column: Vec<u32> = reply
        .data
        .chunks_exact(4)
        .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]))
        .collect();
    let top = Stamp::from_pixels(&column[..8]).ok()?;
    let bottom = Stamp::from_pixels(&column[column.len() - 8..]).ok()?;
    Some((top, bottom))
}

fn root(conn: &RustConnection) -> u32 {
    conn.setup().roots[0].root
}

#[test]
fn handed_frames_show_their_pixels_and_both_stamps() {
    for strategy in ["server-copy", "gl"] {
        let x = xvfb(320, 240);
        let (conn, _) = x.connect();
        let (sync_conn, _) = x.connect();
        let _compositor = compositor(&x, &conn, &["--no-hud", "--composite", strategy]);
        let owner = wait_for_handoff_owner(&conn, 0, TIMEOUT);
        let mut client = HandoffClient::new(&conn, 0, owner, (10, 20), (200, 100), 3);
        sync(&sync_conn);
        let colours = [
            0x00ff_0000,
            0x0000_ff00,
            0x0000_00ff,
            0x00ff_ff00,
            0x00ff_00ff,
        ];
        for (frame, &rgb) in colours.iter().enumerate() {
            let frame = frame as u64 + 1;
            let slot = client.acquire(frame, TIMEOUT);
            client.send(slot, frame, rgb);
            client.wait_for(frame as u32, DoneStatus::Shown, TIMEOUT);
            // Shown is sent after the requests that drew the frame: the screen has it now.
            let r = root(&conn);
            let (top, bottom) = stamps(&conn, r, (10, 20), 100).expect("stamps on screen");
            assert_eq!((top.frame, bottom.frame), (frame, frame), "{strategy}");
            let inside = get_rect(&conn, r, 18, 21, 192, 98);
            assert!(
                inside.iter().all(|&p| p == rgb),
                "{strategy}: frame {frame} is not {rgb:#08x}"
            );
            for (px, py) in [(9, 50), (210, 50), (100, 19), (100, 120)] {
                assert_eq!(
                    get_pixel(&conn, r, px, py),
                    BACKGROUND,
                    "{strategy}: ({px}, {py})"
                );
            }
        }
        // The trade-off: the window's own pixmap never received a frame.
        assert_eq!(get_pixel(&conn, client.window, 100, 50), 0, "{strategy}");
        // Every buffer but the one on the screen was released.
        let released = client
            .answers
            .iter()
            .filter(|a| a.status == DoneStatus::Released)
            .count();
        assert_eq!(
            released,
            colours.len() - 1,
            "{strategy}: {:?}",
            client.answers
        );
        // Withdrawn, the last one is released too and the window's own contents show.
        client.send_words(FrameMessage::withdraw(client.window).encode());
        client.wait_for(colours.len() as u32, DoneStatus::Released, TIMEOUT);
        sync(&sync_conn);
        assert_eq!(
            get_pixel(&conn, root(&conn), 100, 50),
            0,
            "{strategy}: after withdrawal"
        );
    }
}

/// Hands `frames` full-window frames to the manager as fast as it takes them while another
/// connection reads the window's stamp column on the screen; returns the torn reads seen and
/// the distinct whole frames seen.
fn torn_reads(x: &Xvfb, ignore_releases: bool, stop_at_first_tear: bool) -> (usize, usize) {
    let (conn, _) = x.connect();
    let owner = wait_for_handoff_owner(&conn, 0, TIMEOUT);
    let (width, height) = (1600, 900);
    // Ignoring releases, the client rewrites the very pixmap the manager holds (one buffer:
    // with two, a manager that keeps up always copies the one not being written, and the bug
    // would show only under load). Gated, it takes turns between two, as a producer does.
    let buffers = if ignore_releases { 1 } else { 2 };
    let mut client = HandoffClient::new(&conn, 0, owner, (0, 0), (width, height), buffers);
    client.ignore_releases = ignore_releases;
    let done = AtomicBool::new(false);
    let torn = std::sync::atomic::AtomicUsize::new(0);
    let whole = std::sync::Mutex::new(std::collections::BTreeSet::new());
    // The observer stops at `done`, or at this deadline should the sender fail first (the
    // scope would otherwise wait for it forever): the sender's own deadline plus a last acquire.
    let observer_deadline = Instant::now() + 2 * TIMEOUT;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let (observer, _) = x.connect();
            let r = root(&observer);
            while !done.load(Ordering::Relaxed) && Instant::now() < observer_deadline {
                if let Some((t, b)) = stamps(&observer, r, (0, 0), height as u16) {
                    if t.frame != b.frame {
                        torn.fetch_add(1, Ordering::Relaxed);
                    } else if let Ok(mut w) = whole.lock() {
                        w.insert(t.frame);
                    }
                }
            }
        });
        let deadline = Instant::now() + TIMEOUT;
        for frame in 1..=600u64 {
            if Instant::now() > deadline || (stop_at_first_tear && torn.load(Ordering::Relaxed) > 0)
            {
                break;
            }
            let slot = client.acquire(frame, TIMEOUT);
            client.send(
                slot,
                frame,
                (frame as u32).wrapping_mul(0x0102_0304) & 0xff_ffff,
            );
        }
        done.store(true, Ordering::Relaxed);
    });
    let whole = whole.into_inner().map_or(0, |w| w.len());
    (torn.into_inner(), whole)
}

#[test]
fn release_gating_keeps_frames_whole_and_ignoring_it_tears() {
    let x = xvfb(1920, 1080);
    let (conn, _) = x.connect();
    let _compositor = compositor(&x, &conn, &["--no-hud"]);
    let (broken, _) = torn_reads(&x, true, true);
    assert!(
        broken > 0,
        "a client that rewrites pixmaps before their release must tear on the screen \
         (the observer saw no torn frame: it could not catch the bug the gating prevents)"
    );
    let (gated, whole) = torn_reads(&x, false, false);
    assert_eq!(
        gated, 0,
        "torn frames on the screen with the release gating"
    );
    assert!(whole >= 50, "the observer saw only {whole} whole frames");
    eprintln!("ignoring releases: {broken} torn reads; gated: none in {whole} frames seen");
}

/// A running zcx-producer at 60 fps on `xvfb`, and its window.
fn producer(
    xvfb: &Xvfb,
    conn: &RustConnection,
    summary: &Path,
    extra: &[&str],
) -> (ChildGuard, u32) {
    let mut cmd = Command::new(common::workspace_bin("zcx-producer", "zcx-producer"));
    cmd.args(["--display", xvfb.display(), "--mode", "shm-pixmap"])
        .args(["--size", "320x240", "--fps", "60", "--warmup", "0"])
        .arg("--summary-json")
        .arg(summary)
        .args(extra)
        .stdout(Stdio::null());
    let child = ChildGuard::spawn(&mut cmd);
    let r = root(conn);
    let window = poll_until(TIMEOUT, "the producer window", || {
        find_producer_windows(conn, r).first().map(|w| w.id)
    });
    (child, window)
}

/// Waits until the screen at the producer's place shows `count` more distinct, whole frames.
fn frames_advance_on_screen(conn: &RustConnection, count: usize, what: &str) -> u64 {
    let r = root(conn);
    let mut seen = std::collections::BTreeSet::new();
    poll_until(TIMEOUT, what, || {
        if let Some((t, b)) = stamps(conn, r, (0, 0), 240) {
            assert_eq!(t.frame, b.frame, "{what}: torn frame on the screen");
            seen.insert(t.frame);
        }
        (seen.len() >= count).then(|| *seen.last().unwrap_or(&0))
    })
}

fn summary_handoff_frames(path: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(path).expect("producer summary");
    let all: serde_json::Value = serde_json::from_str(&text).expect("summary JSON");
    let s = &all[0];
    (
        s["frames"].as_u64().expect("frames"),
        s["handoff_frames"].as_u64().expect("handoff_frames"),
    )
}

fn stats_handoff_frames(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).expect("compositor stats");
    let v: serde_json::Value = serde_json::from_str(&text).expect("stats JSON");
    v["handoff_frames"].as_u64().expect("handoff_frames")
}

#[test]
fn producer_falls_back_when_the_compositor_dies_and_hands_off_to_the_next() {
    let dir = common::TempDir::new("handoff-fallback");
    let x = xvfb(640, 480);
    let (conn, _) = x.connect();
    let mut first = compositor(&x, &conn, &["--no-hud"]);
    let summary = dir.join("producer.json");
    let (mut producer, window) = producer(&x, &conn, &summary, &[]);
    let on_screen = frames_advance_on_screen(&conn, 10, "handed frames on the screen");
    // Handing off, the window's own pixmap falls behind the screen (or holds no frame).
    let own = stamps(&conn, window, (0, 0), 240).map(|(t, _)| t.frame);
    assert!(
        own.is_none_or(|f| f + 5 < on_screen),
        "the window's own pixmap shows frame {own:?} while the screen shows {on_screen}: \
         frames are not being handed off"
    );
    first.signal(nix::sys::signal::Signal::SIGKILL);
    first.wait_exit(TIMEOUT);
    frames_advance_on_screen(&conn, 10, "presented frames after the compositor died");
    let (top, _) = stamps(&conn, window, (0, 0), 240).expect("the window's own contents");
    assert!(
        top.frame > on_screen,
        "the window's own pixmap is current again"
    );
    let stats = dir.join("second.json");
    let stats_arg = stats.to_str().expect("utf-8 path");
    let mut second = compositor(
        &x,
        &conn,
        &["--no-hud", "--duration", "3", "--stats-json", stats_arg],
    );
    let status = second.wait_exit(TIMEOUT);
    assert!(status.success(), "second compositor: {status}");
    assert!(
        stats_handoff_frames(&stats) > 30,
        "the new compositor was handed frames"
    );
    let status = producer.stop();
    assert!(status.success(), "producer: {status:?}");
    let (frames, handed) = summary_handoff_frames(&summary);
    assert!(
        handed > 0 && handed < frames,
        "{handed} of {frames} frames handed off"
    );
}

#[test]
fn handoff_off_and_no_handoff_present_frames_as_before() {
    let dir = common::TempDir::new("handoff-off");
    for (producer_args, compositor_args) in [
        (&["--handoff", "off"][..], &["--no-hud"][..]),
        (&[][..], &["--no-hud", "--no-handoff"][..]),
    ] {
        let x = xvfb(640, 480);
        let (conn, _) = x.connect();
        let stats = dir.join("stats.json");
        let mut args = compositor_args.to_vec();
        args.extend(["--stats-json", stats.to_str().expect("utf-8 path")]);
        let mut comp = compositor(&x, &conn, &args);
        let summary = dir.join("producer.json");
        let (mut producer, window) = producer(&x, &conn, &summary, producer_args);
        let on_screen = frames_advance_on_screen(&conn, 10, "presented frames on the screen");
        let (own, _) = stamps(&conn, window, (0, 0), 240).expect("the window's own contents");
        assert!(own.frame >= on_screen, "the window's own pixmap is current");
        let status = producer.stop();
        assert!(status.success(), "producer: {status:?}");
        let status = comp.stop();
        assert!(status.success(), "compositor: {status:?}");
        let (frames, handed) = summary_handoff_frames(&summary);
        assert!(frames > 0);
        assert_eq!(handed, 0, "{producer_args:?} {compositor_args:?}");
        assert_eq!(stats_handoff_frames(&stats), 0);
    }
}

#[test]
fn forged_frame_messages_change_nothing_on_the_screen() {
    let x = xvfb(320, 240);
    let (conn, _) = x.connect();
    let (hostile, _) = x.connect();
    let (sync_conn, _) = x.connect();
    let dir = common::TempDir::new("handoff-forged");
    let stats = dir.join("stats.json");
    let stats_arg = stats.to_str().expect("utf-8 path");
    let mut comp = compositor(&x, &conn, &["--no-hud", "--stats-json", stats_arg]);
    let owner = wait_for_handoff_owner(&conn, 0, TIMEOUT);
    let mut victim = HandoffClient::new(&conn, 0, owner, (10, 10), (100, 100), 2);
    let slot = victim.acquire(1, TIMEOUT);
    victim.send(slot, 1, 0x0000_ff00);
    victim.wait_for(1, DoneStatus::Shown, TIMEOUT);
    // The hostile client: its own window and pixmaps of every wrong kind.
    let own = TestWindow::new(&hostile, 0, 150, 10, 100, 100, 0x00ff_0000);
    let forger = HandoffClient::new(&hostile, 0, owner, (0, 200), (100, 10), 1);
    let depth = hostile.setup().roots[0].root_depth;
    let pixmap = |w: u16, h: u16| {
        let id = hostile.generate_id().expect("id");
        hostile
            .create_pixmap(depth, id, own.id(), w, h)
            .expect("CreatePixmap");
        id
    };
    let right_size = pixmap(100, 100);
    let wrong_size = pixmap(50, 50);
    let freed = pixmap(100, 100);
    hostile.free_pixmap(freed).expect("FreePixmap");
    let frame = |window, pixmap| {
        FrameMessage {
            window,
            pixmap,
            serial: 7,
        }
        .encode()
    };
    for words in [
        frame(victim.window, right_size), // a foreign pixmap for another client's window
        frame(0x0abc_def0, right_size),   // a window nobody manages
        frame(root(&hostile), right_size), // the root
        frame(own.id(), wrong_size),      // its own window, a pixmap of the wrong size
        frame(own.id(), freed),           // a freed pixmap
        [9, own.id(), right_size, 1, 0],  // another protocol version
        [1, 0, 0, 1, 0],                  // no window, no pixmap
    ] {
        forger.send_words(words);
    }
    hostile.flush().expect("flush");
    sync(&sync_conn);
    sync(&sync_conn);
    let r = root(&conn);
    assert!(
        get_rect(&conn, r, 18, 11, 92, 98)
            .iter()
            .all(|&p| p == 0x0000_ff00),
        "victim"
    );
    assert!(
        get_rect(&conn, r, 150, 10, 100, 100)
            .iter()
            .all(|&p| p == 0x00ff_0000),
        "own window"
    );
    let (top, bottom) = stamps(&conn, r, (10, 10), 100).expect("victim stamps");
    assert_eq!((top.frame, bottom.frame), (1, 1));
    // The compositor's own count agrees: three refused (foreign pixmap, wrong size, freed
    // pixmap; the rest name no window it manages, or are not messages of this version), one
    // taken (the victim's).
    let status = comp.stop();
    assert!(status.success(), "compositor: {status:?}");
    let text = std::fs::read_to_string(&stats).expect("compositor stats");
    let v: serde_json::Value = serde_json::from_str(&text).expect("stats JSON");
    assert_eq!(v["handoff_refused"], 3, "{v}");
    assert_eq!(v["handoff_frames"], 1, "{v}");
}

#[test]
fn switching_modes_away_from_handoff_shows_the_new_path_and_back() {
    let dir = common::TempDir::new("handoff-modes");
    let x = xvfb(640, 480);
    let (conn, _) = x.connect();
    let _compositor = compositor(&x, &conn, &["--no-hud"]);
    let summary = dir.join("producer.json");
    let (mut producer, window) = producer(&x, &conn, &summary, &[]);
    frames_advance_on_screen(&conn, 10, "handed frames on the screen");
    // `m` cycles shm-pixmap → shm-put → put-image → shm-pixmap: each path shows frames, the
    // non-handoff ones in the window's own contents too.
    for next in ["shm-put", "put-image", "shm-pixmap"] {
        let status = Command::new("xdotool")
            .env("DISPLAY", x.display())
            .args(["key", "--window", &window.to_string(), "m"])
            .status()
            .expect("xdotool");
        assert!(status.success());
        let on_screen = frames_advance_on_screen(&conn, 10, &format!("{next} frames"));
        if next != "shm-pixmap" {
            let (own, _) = stamps(&conn, window, (0, 0), 240).expect("window contents");
            assert!(
                own.frame >= on_screen,
                "{next}: the window's own pixmap is current"
            );
        }
    }
    let status = producer.stop();
    assert!(status.success(), "producer: {status:?}");
    let text = std::fs::read_to_string(&summary).expect("summary");
    let modes: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let handed: Vec<(String, u64)> = modes
        .as_array()
        .expect("array")
        .iter()
        .map(|m| {
            let mode = m["mode"].as_str().unwrap_or_default().to_owned();
            (mode, m["handoff_frames"].as_u64().unwrap_or(0))
        })
        .collect();
    let names: Vec<&str> = handed.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(names, ["shm-pixmap", "shm-put", "put-image", "shm-pixmap"]);
    assert!(handed[0].1 > 0 && handed[3].1 > 0, "{handed:?}");
    assert_eq!(handed[1].1 + handed[2].1, 0, "{handed:?}");
}
