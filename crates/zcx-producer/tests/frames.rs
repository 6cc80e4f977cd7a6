//! Per mode, against a fresh Xvfb: a rendered, stamped frame goes through the transport and the
//! pixels read back from the window (corners, centre, both stamp rows) equal what was rendered.

use std::time::{Duration, Instant};

use x11rb::connection::{Connection, RequestConnection as _};
use zcx_producer::source::{FrameMut, FrameSource, TestCard};
use zcx_producer::transport::{FrameTransport, Mode, Options, Target, Transport};
use zcx_producer::window::ProducerWindow;
use zcx_testkit::{get_rect, poll_until, Xvfb};
use zcx_x11::format::FrameFormat;
use zcx_x11::probe::ServerProbe;
use zcx_x11::stamp::{read_frame, Stamp};

const WAIT: Duration = Duration::from_secs(20);

/// Sends frames 0..3 through `mode` and checks each one on the window.
fn frames_arrive_intact(xvfb: &Xvfb, mode: Mode, width: u32, height: u32) {
    frames_arrive_intact_at(xvfb.display(), mode, width, height);
}

fn frames_arrive_intact_at(display: &str, mode: Mode, width: u32, height: u32) {
    let options = Options {
        buffers: 2,
        vsync: false,
        present: true,
        screen: 0,
        handoff: false,
    };
    frames_arrive_intact_with(display, mode, width, height, options);
}

fn frames_arrive_intact_with(display: &str, mode: Mode, width: u32, height: u32, options: Options) {
    let c = zcx_x11::connect(Some(display)).expect("connect");
    let probe = ServerProbe::probe(&c.conn, c.screen_num, c.socket).expect("probe");
    let setup = c.conn.setup();
    let format = FrameFormat::for_screen(setup, &setup.roots[c.screen_num]).expect("format");
    let window = ProducerWindow::create(
        &c.conn,
        c.screen_num,
        format.visual,
        width as u16,
        height as u16,
    )
    .expect("window");
    let target = Target {
        window: window.id,
        gc: window.gc,
        format,
        width,
        height,
    };
    let mut transport = Transport::new(
        &c.conn,
        mode,
        target,
        &probe,
        options,
        window.atoms._ZCX_FENCE,
    )
    .unwrap_or_else(|e| panic!("{mode} transport: {e}"));
    let mut source = TestCard::new();
    for frame in 0..3u64 {
        let buffer = poll_until(WAIT, "a free buffer", || {
            pump(&c.conn, &mut transport, &mut Vec::new());
            transport.acquire()
        });
        let pixels = transport
            .pixels(buffer)
            .unwrap_or_else(|e| panic!("{mode} buffer {buffer}: {e}"));
        source.render(
            frame,
            FrameMut {
                pixels: &mut *pixels,
                width,
                height,
            },
        );
        let stamp = Stamp {
            frame,
            monotonic_ns: 1_000_000 + frame,
        };
        stamp.write_frame(pixels, width as usize, height as usize);
        let expected: Vec<u32> = pixels.iter().map(|p| p & 0xff_ffff).collect();
        let submitted = Instant::now();
        transport.submit(buffer, frame).expect("submit");
        let mut done = Vec::new();
        poll_until(WAIT, "the frame's completion", || {
            pump(&c.conn, &mut transport, &mut done);
            done.iter().any(|d| d.frame == frame).then_some(())
        });
        assert!(
            done.iter().all(|d| d.at >= submitted),
            "completion timed before submission"
        );
        check_window(&c.conn, window.id, &expected, width, height, mode, frame);
    }
}

fn pump<C: Connection>(
    conn: &C,
    transport: &mut Transport<'_, C>,
    done: &mut Vec<zcx_producer::transport::Completion>,
) {
    while let Some(event) = conn.poll_for_event().expect("X connection") {
        if let x11rb::protocol::Event::Error(e) = &event {
            panic!("X error during the test: {e:?}");
        }
        transport.handle_event(&event, Instant::now(), done);
    }
}

fn check_window<C: Connection>(
    conn: &C,
    window: u32,
    expected: &[u32],
    w: u32,
    h: u32,
    mode: Mode,
    frame: u64,
) {
    let at = |x: u32, y: u32| expected[(y * w + x) as usize];
    let points = [
        (0, 0),
        (w - 1, 0),
        (0, h - 1),
        (w - 1, h - 1),
        (w / 2, h / 2),
    ];
    for (x, y) in points {
        let got = get_rect(conn, window, x as i16, y as i16, 1, 1)[0];
        assert_eq!(
            got,
            at(x, y),
            "{mode} frame {frame}: pixel ({x},{y}) is {got:06x}, rendered {:06x}",
            at(x, y)
        );
    }
    let stamp_w = w.min(8) as u16;
    let top = get_rect(conn, window, 0, 0, stamp_w, 1);
    let bottom = get_rect(conn, window, 0, (h - 1) as i16, stamp_w, 1);
    assert_eq!(
        top,
        expected[..stamp_w as usize],
        "{mode} frame {frame}: top stamp row"
    );
    let last = ((h - 1) * w) as usize;
    assert_eq!(
        bottom,
        expected[last..last + stamp_w as usize],
        "{mode} frame {frame}: bottom stamp row"
    );
    if w >= 8 {
        let mut both = top.clone();
        both.extend_from_slice(&bottom);
        let (t, b) = read_frame(&both, 8, 2);
        assert_eq!(
            t,
            Ok(Stamp {
                frame,
                monotonic_ns: 1_000_000 + frame
            }),
            "{mode}: top stamp decodes"
        );
        assert_eq!(b, t, "{mode}: bottom stamp equals top");
    }
}

fn every_mode(width: u32, height: u32, screen: (u32, u32)) {
    let xvfb = Xvfb::builder()
        .size(screen.0, screen.1, 24)
        .start()
        .expect("Xvfb");
    for mode in [Mode::PutImage, Mode::ShmPut, Mode::ShmPixmap] {
        frames_arrive_intact(&xvfb, mode, width, height);
    }
}

#[test]
fn full_4k_frames_arrive_intact_in_every_mode() {
    every_mode(3840, 2160, (3840, 2160));
}

#[test]
fn odd_sizes_arrive_intact_in_every_mode() {
    every_mode(4097, 3, (4200, 64));
    every_mode(1, 1, (64, 64));
    every_mode(333, 97, (640, 480));
}

#[test]
fn put_image_follows_a_lowered_maximum_request_size() {
    // 4 MiB requests: a 4K frame needs 8 PutImage requests instead of 2.
    let xvfb = Xvfb::builder()
        .size(3840, 2160, 24)
        .arg("-maxbigreqsize")
        .arg("1")
        .start()
        .expect("Xvfb");
    let c = zcx_x11::connect(Some(xvfb.display())).expect("connect");
    // Xvfb counts -maxbigreqsize in units of 2^20 four-byte words.
    assert_eq!(
        c.conn.maximum_request_bytes(),
        4 * (1 << 20) - 4,
        "Xvfb -maxbigreqsize 1 not in force"
    );
    let chunks =
        zcx_producer::transport::row_chunks(2160, 3840 * 4, c.conn.maximum_request_bytes())
            .unwrap();
    assert_eq!(chunks.len(), 8, "4 MiB requests carry 272 rows of 4K each");
    frames_arrive_intact(&xvfb, Mode::PutImage, 3840, 2160);
}

#[test]
fn shm_pixmap_with_copy_area_instead_of_present() {
    // Xvfb cannot switch Present off, so the CopyArea path is chosen the way --no-present does.
    let xvfb = Xvfb::builder().size(1280, 720, 24).start().expect("Xvfb");
    let options = Options {
        buffers: 2,
        vsync: false,
        present: false,
        screen: 0,
        handoff: false,
    };
    frames_arrive_intact_with(xvfb.display(), Mode::ShmPixmap, 1280, 720, options);
}

#[test]
fn tcp_display_has_no_usable_shm_and_put_image_still_shows_correct_frames() {
    let xvfb = Xvfb::builder()
        .size(1280, 720, 24)
        .arg("-listen")
        .arg("tcp")
        .arg("-ac")
        .start()
        .expect("Xvfb");
    let tcp = format!("127.0.0.1{}", xvfb.display());
    let c = zcx_x11::connect(Some(&tcp)).expect("connect over TCP");
    assert_eq!(c.socket, zcx_x11::SocketKind::Tcp);
    let probe = ServerProbe::probe(&c.conn, c.screen_num, c.socket).expect("probe");
    assert!(
        !probe.shm_usable(),
        "MIT-SHM must not look usable over TCP: {:?}",
        probe.shm
    );
    assert_eq!(Mode::available(&probe), vec![Mode::PutImage]);
    drop(c);
    frames_arrive_intact_at(&tcp, Mode::PutImage, 640, 360);
}
