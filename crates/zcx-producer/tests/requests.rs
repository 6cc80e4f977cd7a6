//! Request shapes (tier 2), against a recording fake connection: which requests each transport
//! sends per frame, how large they are, that no pixels ride along on the shared-memory paths,
//! that buffers are reused only after the server says so, and the order resources are freed in.

use std::time::Instant;

use x11rb::protocol::present::{CompleteKind, CompleteMode, CompleteNotifyEvent, IdleNotifyEvent};
use x11rb::protocol::shm::CompletionEvent;
use x11rb::protocol::xproto::{Property, PropertyNotifyEvent};
use x11rb::protocol::Event;
use zcx_producer::transport::{FrameTransport, Mode, Options, Target, Transport};
use zcx_testkit::recording::{Recorded, RecordingConnection};
use zcx_x11::format::FrameFormat;
use zcx_x11::probe::{ServerProbe, ShmInfo, Version};
use zcx_x11::SocketKind;

const WINDOW: u32 = 0x40_0001;
const GC: u32 = 0x40_0002;
const FENCE_ATOM: u32 = 300;
const PUT_IMAGE: u8 = 72;
const CHANGE_PROPERTY: u8 = 18;
const FREE_PIXMAP: u8 = 54;
const SHM_DETACH: u8 = 2;
const SHM_PUT_IMAGE: u8 = 3;
const SHM_CREATE_PIXMAP: u8 = 5;
const SHM_ATTACH_FD: u8 = 6;
const PRESENT_PIXMAP: u8 = 1;
const PRESENT_SELECT_INPUT: u8 = 3;

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_ne_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn target(width: u32, height: u32) -> Target {
    let format = FrameFormat {
        visual: 0x21,
        depth: 24,
        bits_per_pixel: 32,
        scanline_pad_bits: 32,
    };
    Target {
        window: WINDOW,
        gc: GC,
        format,
        width,
        height,
    }
}

fn probe(max_request_bytes: usize) -> ServerProbe {
    ServerProbe {
        vendor: "fake".into(),
        release: 1,
        socket: SocketKind::Local,
        max_request_bytes,
        screen_width: 3840,
        screen_height: 2160,
        root_depth: 24,
        shm: Some(ShmInfo {
            version: Version { major: 1, minor: 2 },
            shared_pixmaps: true,
            fd_passing: true,
            trial_attach: Ok(()),
        }),
        present: Some(Version { major: 1, minor: 2 }),
        dri3: None,
        composite: None,
        damage: None,
        xfixes: None,
        randr: None,
    }
}

fn options() -> Options {
    Options {
        buffers: 2,
        vsync: false,
        present: true,
        screen: 0,
        handoff: false,
    }
}

fn fake() -> RecordingConnection {
    RecordingConnection::new(16_777_212, &["MIT-SHM", "Present"])
}

fn ext(conn: &RecordingConnection, name: &str, r: &Recorded) -> Option<u8> {
    (Some(r.major) == conn.major_opcode(name)).then_some(r.minor)
}

#[test]
fn put_image_sends_the_frame_in_two_requests_and_a_fence() {
    let conn = fake();
    let mut t = Transport::new(
        &conn,
        Mode::PutImage,
        target(3840, 2160),
        &probe(16_777_212),
        options(),
        FENCE_ATOM,
    )
    .unwrap();
    let buffer = t.acquire().expect("a buffer");
    t.submit(buffer, 0).unwrap();
    let requests = conn.take();
    let shapes: Vec<(u8, u16, u16)> = requests
        .iter()
        .map(|r| (r.major, u16_at(&r.bytes, 14), u16_at(&r.bytes, 18)))
        .collect();
    assert_eq!(
        shapes[..2],
        [(PUT_IMAGE, 1092, 0), (PUT_IMAGE, 1068, 1092)],
        "row bands (height, dst_y)"
    );
    for r in &requests[..2] {
        assert!(
            r.bytes.len() + 4 <= 16_777_212,
            "a PutImage of {} bytes exceeds the maximum",
            r.bytes.len()
        );
        assert_eq!(
            r.bytes.len() - 24,
            u16_at(&r.bytes, 14) as usize * 3840 * 4,
            "pixel payload"
        );
    }
    let fence = &requests[2];
    assert_eq!(
        (
            fence.major,
            fence.minor,
            u32_at(&fence.bytes, 8),
            u32_at(&fence.bytes, 20)
        ),
        (CHANGE_PROPERTY, 2, FENCE_ATOM, 0)
    );
    assert_eq!(requests.len(), 3);
    assert_eq!(
        t.acquire(),
        None,
        "one frame in flight until the fence returns"
    );
    let notify = PropertyNotifyEvent {
        response_type: 28,
        sequence: 0,
        window: WINDOW,
        atom: FENCE_ATOM,
        time: 0,
        state: Property::NEW_VALUE,
    };
    let mut done = Vec::new();
    assert!(t.handle_event(&Event::PropertyNotify(notify), Instant::now(), &mut done));
    assert_eq!(done.iter().map(|c| c.frame).collect::<Vec<_>>(), [0]);
    assert_eq!(t.acquire(), Some(0));
}

#[test]
fn shm_put_sends_no_pixels_and_reuses_a_segment_only_after_its_completion() {
    let conn = fake();
    let mut t = Transport::new(
        &conn,
        Mode::ShmPut,
        target(3840, 2160),
        &probe(16_777_212),
        options(),
        FENCE_ATOM,
    )
    .unwrap();
    let setup = conn.take();
    assert_eq!(setup.len(), 2, "one ShmAttachFd per buffer: {setup:?}");
    let segs: Vec<u32> = setup
        .iter()
        .map(|r| {
            assert_eq!(
                (ext(&conn, "MIT-SHM", r), r.fds, r.bytes[8]),
                (Some(SHM_ATTACH_FD), 1, 1),
                "read-only attach with an fd"
            );
            u32_at(&r.bytes, 4)
        })
        .collect();
    let a = t.acquire().unwrap();
    t.submit(a, 0).unwrap();
    let b = t.acquire().unwrap();
    t.submit(b, 1).unwrap();
    let puts = conn.take();
    assert_eq!(puts.len(), 2);
    for (r, seg) in puts.iter().zip(&segs) {
        assert_eq!(ext(&conn, "MIT-SHM", r), Some(SHM_PUT_IMAGE));
        assert_eq!(r.bytes.len(), 40, "ShmPutImage carries no pixels");
        assert_eq!(
            (
                u16_at(&r.bytes, 12),
                u16_at(&r.bytes, 14),
                r.bytes[30],
                u32_at(&r.bytes, 32)
            ),
            (3840, 2160, 1, *seg)
        );
    }
    assert_eq!(
        t.acquire(),
        None,
        "both segments are being read by the server"
    );
    let completion = CompletionEvent {
        response_type: 65,
        sequence: 0,
        drawable: WINDOW,
        minor_event: 3,
        major_event: 0,
        shmseg: segs[1],
        offset: 0,
    };
    let mut done = Vec::new();
    assert!(t.handle_event(&Event::ShmCompletion(completion), Instant::now(), &mut done));
    assert_eq!(done.iter().map(|c| c.frame).collect::<Vec<_>>(), [1]);
    assert_eq!(t.acquire(), Some(b), "only the completed segment is free");
    drop(t);
    let detached: Vec<u32> = conn
        .take()
        .iter()
        .filter(|r| ext(&conn, "MIT-SHM", r) == Some(SHM_DETACH))
        .map(|r| u32_at(&r.bytes, 4))
        .collect();
    assert_eq!(detached, segs);
}

#[test]
fn shm_pixmap_presents_without_pixels_reuses_after_idle_and_frees_pixmaps_before_segments() {
    let conn = fake();
    let mut t = Transport::new(
        &conn,
        Mode::ShmPixmap,
        target(1280, 720),
        &probe(16_777_212),
        options(),
        FENCE_ATOM,
    )
    .unwrap();
    let setup = conn.take();
    let minors: Vec<_> = setup
        .iter()
        .map(|r| ext(&conn, "MIT-SHM", r).or(ext(&conn, "Present", r).map(|m| m + 100)))
        .collect();
    assert_eq!(
        minors,
        [
            Some(SHM_ATTACH_FD),
            Some(SHM_CREATE_PIXMAP),
            Some(SHM_ATTACH_FD),
            Some(SHM_CREATE_PIXMAP),
            Some(100 + PRESENT_SELECT_INPUT)
        ]
    );
    assert_eq!(
        setup[0].bytes[8], 0,
        "shared pixmaps need a read-write attach"
    );
    let pixmaps: Vec<u32> = [&setup[1], &setup[3]]
        .iter()
        .map(|r| u32_at(&r.bytes, 4))
        .collect();
    let a = t.acquire().unwrap();
    t.submit(a, 0).unwrap();
    let b = t.acquire().unwrap();
    t.submit(b, 1).unwrap();
    let presents = conn.take();
    assert_eq!(presents.len(), 2);
    for (r, pixmap) in presents.iter().zip(&pixmaps) {
        assert_eq!(ext(&conn, "Present", r), Some(PRESENT_PIXMAP));
        assert_eq!(
            (u32_at(&r.bytes, 4), u32_at(&r.bytes, 8)),
            (WINDOW, *pixmap)
        );
        assert!(r.bytes.len() <= 72, "PresentPixmap carries no pixels");
    }
    assert_eq!(t.acquire(), None);
    let serial = u32_at(&presents[0].bytes, 12);
    let mut done = Vec::new();
    // Copy mode: IdleNotify comes before CompleteNotify; both must be honoured.
    let idle = IdleNotifyEvent {
        response_type: 35,
        extension: 0,
        sequence: 0,
        length: 0,
        event_type: 3,
        event: 0,
        window: WINDOW,
        serial,
        pixmap: pixmaps[0],
        idle_fence: 0,
    };
    assert!(t.handle_event(&Event::PresentIdleNotify(idle), Instant::now(), &mut done));
    assert_eq!(t.acquire(), Some(a));
    let complete = CompleteNotifyEvent {
        response_type: 35,
        extension: 0,
        sequence: 0,
        length: 0,
        event_type: 1,
        kind: CompleteKind::PIXMAP,
        mode: CompleteMode::COPY,
        event: 0,
        window: WINDOW,
        serial,
        ust: 0,
        msc: 0,
    };
    assert!(t.handle_event(
        &Event::PresentCompleteNotify(complete),
        Instant::now(),
        &mut done
    ));
    assert_eq!(done.iter().map(|c| c.frame).collect::<Vec<_>>(), [0]);
    drop(t);
    let teardown = conn.take();
    for pixmap in &pixmaps {
        let freed = teardown
            .iter()
            .position(|r| r.major == FREE_PIXMAP && u32_at(&r.bytes, 4) == *pixmap)
            .expect("FreePixmap");
        let seg = u32_at(&setup[if *pixmap == pixmaps[0] { 0 } else { 2 }].bytes, 4);
        let detached = teardown
            .iter()
            .position(|r| {
                ext(&conn, "MIT-SHM", r) == Some(SHM_DETACH) && u32_at(&r.bytes, 4) == seg
            })
            .expect("ShmDetach");
        assert!(
            freed < detached,
            "pixmap {pixmap:#x} must be freed before its segment is detached"
        );
    }
}
