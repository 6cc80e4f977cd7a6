//! The checks of `dri3_guest.rs` that run as Rust clients inside the DRI3 test server (its
//! Xorg is `DISPLAY`, the zcx binaries are on `PATH`, the working directory is the work folder
//! shared with the host). `#[ignore]`d: the host's script runs each by name there, and they
//! refuse to run anywhere else.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use x11rb::protocol::xproto::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;
use zcx_testkit::{poll_until, poll_until_or_none, wait_for_producer_window, ChildGuard};

use crate::common::dri3_client::BrokenDri3Client;
use crate::common::xres;

/// Set by the host's script in the guest.
const IN_GUEST: &str = "ZCX_IN_DRI3_GUEST";
/// Generous: under TCG a producer takes seconds to load Mesa's driver for GBM.
const GUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The real producer's ring in these checks (`--buffers`).
const RING: u32 = 3;

fn guest_connection() -> (RustConnection, usize) {
    assert!(
        std::env::var_os(IN_GUEST).is_some(),
        "runs only inside the DRI3 guest (started by the host's dri3_guest test)"
    );
    x11rb::connect(None).expect("connecting to the guest's Xorg")
}

/// The broken client at the real producer's size and rate (640x360, 30 fps), until the
/// script has observed it (`broken.stop`): one buffer, and the next frame rendered into it
/// right after it is presented, while the server may still be reading it (a ring whose
/// gating ignores IdleNotify comes to the same once it wraps). It writes `broken.streaming`
/// once frames flow; the host checks what the observer saw.
#[test]
#[ignore = "runs inside the DRI3 guest only"]
fn guest_broken_reuse_gating_is_seen_torn() {
    let (conn, screen) = guest_connection();
    let mut client = BrokenDri3Client::new(&conn, screen, (640, 360), 1);
    let period = Duration::from_secs(1) / 30;
    let start = Instant::now();
    let mut frame = 1u64;
    client.render(frame);
    while !Path::new("broken.stop").exists() {
        assert!(
            start.elapsed() < GUEST_TIMEOUT,
            "the script never observed the broken client"
        );
        client.present(frame);
        frame += 1;
        client.render(frame);
        if frame == 10 {
            std::fs::write("broken.streaming", b"").expect("writing broken.streaming");
        }
        // Paced to the producer's rate, never waiting for the server.
        std::thread::sleep(
            (start + period * frame as u32).saturating_duration_since(Instant::now()),
        );
    }
    let errors = client.errors();
    assert!(errors.is_empty(), "X errors: {errors:?}");
    eprintln!("broken client: {frame} frames");
}

/// A dri3 producer killed with SIGKILL mid-stream: while it streams, its client (found from
/// its window with XResQueryClientIds, the producer's own pid) holds at least its ring of
/// pixmaps; after the kill the server's pixmaps over all clients are back to their count
/// before it started, its window is gone, the server answers and /dev/shm is as it was.
/// Writes the counts to `pixmaps.json`.
#[test]
#[ignore = "runs inside the DRI3 guest only"]
fn guest_killed_producer_leaves_no_pixmaps() {
    let (conn, screen) = guest_connection();
    xres::negotiate(&conn);
    let shm_before = dev_shm();
    let baseline = xres::total_pixmaps(&conn);
    let mut producer = ChildGuard::spawn(
        Command::new("zcx-producer")
            .args(["--mode", "dri3", "--size", "640x360", "--fps", "30"])
            .args(["--warmup", "0", "--buffers", &RING.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    );
    let window = wait_for_producer_window(&conn, screen, &mut producer, GUEST_TIMEOUT);
    let (client, pid) = xres::client_of_window(&conn, window);
    assert_eq!(
        pid,
        Some(producer.id()),
        "the window's client is the producer"
    );
    let held = poll_until(GUEST_TIMEOUT, "the producer's ring of pixmaps", || {
        xres::pixmaps_of(&conn, client).filter(|&n| n >= RING)
    });
    let during = xres::total_pixmaps(&conn);
    producer.signal(Signal::SIGKILL);
    let status = producer.wait_exit(GUEST_TIMEOUT);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    let after = wait_for_pixmaps_freed(&conn, window, baseline);
    assert_eq!(dev_shm(), shm_before, "/dev/shm before and after the kill");
    let figures = serde_json::json!({
        "baseline_total": baseline,
        "producer_held": held,
        "ring": RING,
        "total_while_streaming": during,
        "total_after_kill": after,
    });
    eprintln!("server pixmaps: {figures}");
    std::fs::write("pixmaps.json", figures.to_string()).expect("writing pixmaps.json");
}

/// Polls until `window` is gone and the server's pixmaps are `baseline` again, within
/// [`GUEST_TIMEOUT`]; the total then. The panic names the last count seen.
fn wait_for_pixmaps_freed(conn: &RustConnection, window: u32, baseline: u32) -> u32 {
    let mut last = (0, false);
    let freed = poll_until_or_none(GUEST_TIMEOUT, || {
        let gone = conn
            .get_window_attributes(window)
            .expect("the server answers after the kill")
            .reply()
            .is_err();
        let total = xres::total_pixmaps(conn);
        last = (total, gone);
        (gone && total == baseline).then_some(total)
    });
    freed.unwrap_or_else(|| {
        let (total, gone) = last;
        panic!(
            "{GUEST_TIMEOUT:?} after the kill: the server holds {total} pixmaps, {baseline} \
             before the producer started; its window gone: {gone}"
        )
    })
}

/// The names in /dev/shm, sorted.
fn dev_shm() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/dev/shm")
        .expect("reading /dev/shm")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}
