//! Shared fixtures for the compositor's integration tests: a compositor child process bound
//! to one test Xvfb, real X clients and finding their windows (both owned by zcx-testkit's
//! `ChildGuard`: stopped and reaped on drop), test-window creation, and sync-then-check pixel helpers (single
//! pixels, edges, and a whole window against its own contents and bounding shape).

#![allow(dead_code)]

pub mod guest;

use std::process::{Child, Command, ExitStatus, Stdio};

use nix::sys::signal::Signal;
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::shape::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, CreateWindowAux, MapState, PropMode, Rectangle, WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;
use x11rb::{COPY_DEPTH_FROM_PARENT, COPY_FROM_PARENT};
use zcx_compositor::x::sync_hook;
use zcx_testkit::{get_pixel, get_rect, poll_until, ChildGuard, Xvfb};

pub const BACKGROUND: u32 = 0x0030_3030;
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub const RED: u32 = 0x00ff_0000;
pub const GREEN: u32 = 0x0000_ff00;
pub const BLUE: u32 = 0x0000_00ff;
pub const YELLOW: u32 = 0x00ff_ff00;
pub const WHITE: u32 = 0x00ff_ffff;
pub const BLACK: u32 = 0;

/// The `--composite` strategies, for tests that check both.
pub const STRATEGIES: [&str; 2] = ["server-copy", "gl"];

/// A small (320x240) Xvfb: enough for window tests and cheap to composite.
pub fn xvfb() -> Xvfb {
    Xvfb::builder()
        .size(320, 240, 24)
        .start()
        .expect("starting Xvfb")
}

/// One test's small Xvfb, a connection to check its screen with, and a compositor on it.
/// Fields drop in order: the compositor, the connection, then the server.
pub struct Session {
    pub compositor: CompositorProcess,
    pub conn: RustConnection,
    pub screen: usize,
    pub root: u32,
    pub xvfb: Xvfb,
}

impl Session {
    /// Starts a small Xvfb and a compositor with `args` on it, and waits until it has painted.
    pub fn start(args: &[&str]) -> Self {
        let xvfb = xvfb();
        let (conn, screen) = xvfb.connect();
        let root = conn.setup().roots[screen].root;
        let compositor = CompositorProcess::start(&xvfb, &conn, screen, args);
        Self {
            compositor,
            conn,
            screen,
            root,
            xvfb,
        }
    }

    /// Runs a real client on this session's server and waits for its viewable window called
    /// `name` (see [`ClientProcess::find_window`]).
    pub fn client(&self, program: &str, args: &[&str], name: &str) -> (ClientProcess, u32) {
        let mut client = ClientProcess::spawn(&self.xvfb, program, args);
        let window = client.find_window(&self.conn, self.screen, name);
        (client, window)
    }
}

/// The atom called `name`.
pub fn atom<C: Connection>(conn: &C, name: &str) -> u32 {
    conn.intern_atom(false, name.as_bytes())
        .expect("intern")
        .reply()
        .expect("atom")
        .atom
}

/// Sets `_NET_WM_WINDOW_OPACITY` of `window` (0..=0xffff_ffff).
pub fn set_opacity<C: Connection>(conn: &C, window: u32, opacity: u32) {
    let atom = atom(conn, "_NET_WM_WINDOW_OPACITY");
    conn.change_property32(
        PropMode::REPLACE,
        window,
        atom,
        AtomEnum::CARDINAL,
        &[opacity],
    )
    .expect("set _NET_WM_WINDOW_OPACITY");
}

/// A running `zcx-compositor`; stopped and reaped on drop.
pub struct CompositorProcess {
    pub child: ChildGuard,
}

impl CompositorProcess {
    pub fn spawn(xvfb: &Xvfb, args: &[&str]) -> ChildGuard {
        ChildGuard::spawn(
            Command::new(env!("CARGO_BIN_EXE_zcx-compositor"))
                .arg("--display")
                .arg(xvfb.display())
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped()),
        )
    }

    /// Starts the compositor and waits until it has painted (answers the sync hook).
    pub fn start<C: Connection>(xvfb: &Xvfb, conn: &C, screen: usize, args: &[&str]) -> Self {
        let mut child = Self::spawn(xvfb, args);
        poll_until(TIMEOUT, "the compositor to own _NET_WM_CM_S0", || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("zcx-compositor exited early: {status}");
            }
            (selection_owner(conn, screen) != x11rb::NONE).then_some(())
        });
        let this = Self { child };
        sync(conn, screen);
        this
    }

    pub fn terminate(&mut self) -> ExitStatus {
        self.child.signal(Signal::SIGTERM);
        wait_exit(&mut self.child)
    }
}

pub fn wait_exit(child: &mut Child) -> ExitStatus {
    poll_until(TIMEOUT, "zcx-compositor to exit", || {
        child.try_wait().ok().flatten()
    })
}

pub fn selection_owner<C: Connection>(conn: &C, screen: usize) -> u32 {
    conn.get_selection_owner(atom(conn, &format!("_NET_WM_CM_S{screen}")))
        .expect("request")
        .reply()
        .expect("reply")
        .owner
}

/// Waits until the compositor has painted everything sent before this call.
pub fn sync<C: Connection>(conn: &C, screen: usize) {
    conn.flush().expect("flush");
    sync_hook::wait_for_compositor(conn, screen, TIMEOUT).expect("compositor sync");
}

/// Syncs with the compositor, then polls a root pixel until it is `want`.
pub fn expect_pixel<C: Connection>(conn: &C, screen: usize, x: i16, y: i16, want: u32) {
    expect_pixel_near(conn, screen, x, y, want, 0);
}

/// [`expect_pixel`] for each (x, y, want).
pub fn expect_pixels<C: Connection>(conn: &C, screen: usize, pixels: &[(i16, i16, u32)]) {
    for &(x, y, want) in pixels {
        expect_pixel(conn, screen, x, y, want);
    }
}

/// Whether each channel of two `0x00RRGGBB` pixels differs by at most `tolerance`.
pub fn close(a: u32, b: u32, tolerance: u32) -> bool {
    (0..3).all(|i| ((a >> (i * 8)) & 0xff).abs_diff((b >> (i * 8)) & 0xff) <= tolerance)
}

/// Syncs with the compositor, then polls a root pixel until each channel is within
/// `tolerance` of `want` (blended pixels round differently on different paths).
pub fn expect_pixel_near<C: Connection>(
    conn: &C,
    screen: usize,
    x: i16,
    y: i16,
    want: u32,
    tolerance: u32,
) {
    sync(conn, screen);
    let root = conn.setup().roots[screen].root;
    let mut last = 0;
    let ok = (0..200).any(|_| {
        last = get_pixel(conn, root, x, y);
        close(last, want, tolerance) || {
            std::thread::sleep(Duration::from_millis(10));
            false
        }
    });
    assert!(
        ok,
        "pixel {x},{y}: want {want:#08x} (± {tolerance}), last seen {last:#08x}"
    );
}

/// Checks the pixels just inside and just outside each edge of a window at x,y of w×h.
pub fn expect_window<C: Connection>(
    conn: &C,
    screen: usize,
    (x, y, w, h): (i16, i16, i16, i16),
    inside: u32,
    outside: u32,
) {
    for (px, py) in [
        (x, y),
        (x + w - 1, y),
        (x, y + h - 1),
        (x + w - 1, y + h - 1),
    ] {
        expect_pixel(conn, screen, px, py, inside);
    }
    for (px, py) in [
        (x - 1, y),
        (x + w, y + h - 1),
        (x, y - 1),
        (x + w - 1, y + h),
    ] {
        expect_pixel(conn, screen, px, py, outside);
    }
}

/// Sets a window's `_ZCX_STATS` (what a producer publishes) to `bytes`.
pub fn set_stats<C: Connection>(conn: &C, window: u32, bytes: &[u8]) {
    use x11rb::protocol::xproto::{AtomEnum, PropMode};
    use x11rb::wrapper::ConnectionExt as _;
    let atom = conn
        .intern_atom(false, b"_ZCX_STATS")
        .expect("intern")
        .reply()
        .expect("atom")
        .atom;
    conn.change_property8(PropMode::REPLACE, window, atom, AtomEnum::STRING, bytes)
        .expect("set _ZCX_STATS");
}

/// A real X client (xterm, xeyes, glxgears) run for one test on one Xvfb; stopped and reaped
/// on drop.
pub struct ClientProcess {
    pub child: ChildGuard,
    pub program: String,
}

impl ClientProcess {
    /// Runs `program` with `DISPLAY` set to the test server (this process's own `DISPLAY` is
    /// never touched).
    pub fn spawn(xvfb: &Xvfb, program: &str, args: &[&str]) -> Self {
        let child = ChildGuard::spawn(
            Command::new(program)
                .env("DISPLAY", xvfb.display())
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        Self {
            child,
            program: program.to_owned(),
        }
    }

    /// Polls the root's children until a viewable one is called `name` (WM_CLASS instance or
    /// class, or WM_NAME); panics when the client exits first.
    pub fn find_window<C: Connection>(&mut self, conn: &C, screen: usize, name: &str) -> u32 {
        let root = conn.setup().roots[screen].root;
        let what = format!("a viewable {name} window of {}", self.program);
        poll_until(TIMEOUT, &what, || {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited early: {status}", self.program);
            }
            let tree = conn.query_tree(root).ok()?.reply().ok()?;
            tree.children
                .into_iter()
                .find(|&w| is_viewable(conn, w) && window_is_called(conn, w, name))
        })
    }
}

/// Runs `xdotool` on `xvfb` with `args`, where `%1` stands for `window`; panics unless it
/// succeeds.
pub fn xdotool(xvfb: &Xvfb, window: u32, args: &[&str]) {
    let window = window.to_string();
    let args: Vec<&str> = args
        .iter()
        .map(|&a| if a == "%1" { window.as_str() } else { a })
        .collect();
    let status = Command::new("xdotool")
        .env("DISPLAY", xvfb.display())
        .args(&args)
        .status()
        .expect("running xdotool");
    assert!(status.success(), "xdotool {args:?}: {status}");
}

fn is_viewable<C: Connection>(conn: &C, window: u32) -> bool {
    conn.get_window_attributes(window)
        .ok()
        .and_then(|c| c.reply().ok())
        .is_some_and(|a| a.map_state == MapState::VIEWABLE)
}

fn window_is_called<C: Connection>(conn: &C, window: u32, name: &str) -> bool {
    [AtomEnum::WM_CLASS, AtomEnum::WM_NAME]
        .into_iter()
        .any(|prop| {
            conn.get_property(false, window, prop, AtomEnum::STRING, 0, 256)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|r| r.value.split(|&b| b == 0).any(|p| p == name.as_bytes()))
        })
}

/// `colour` inside `rect` (x, y, w, h), `otherwise` outside: what lies under a window.
pub fn colour_inside(
    (rx, ry, rw, rh): (i16, i16, u16, u16),
    colour: u32,
    otherwise: u32,
) -> impl Fn(i16, i16) -> u32 {
    move |x, y| {
        let hit = (rx..rx + rw as i16).contains(&x) && (ry..ry + rh as i16).contains(&y);
        if hit {
            colour
        } else {
            otherwise
        }
    }
}

/// Outer corner, inner size and border width of a child of the root.
pub fn geometry<C: Connection>(conn: &C, window: u32) -> (i16, i16, u16, u16, u16) {
    let g = conn
        .get_geometry(window)
        .expect("request")
        .reply()
        .expect("geometry");
    (g.x, g.y, g.width, g.height, g.border_width)
}

/// Creates (unmapped) a window of `w`×`h` at `x`,`y` on `parent` with background `rgb` and a
/// `border` of (width, colour), plus whatever `aux` sets (override-redirect, ...).
pub fn create_window<C: Connection>(
    conn: &C,
    parent: u32,
    (x, y, w, h): (i16, i16, u16, u16),
    rgb: u32,
    (border_width, border_rgb): (u16, u32),
    aux: CreateWindowAux,
) -> u32 {
    let id = conn.generate_id().expect("id");
    let aux = aux.background_pixel(rgb).border_pixel(border_rgb);
    conn.create_window(
        COPY_DEPTH_FROM_PARENT,
        id,
        parent,
        x,
        y,
        w,
        h,
        border_width,
        WindowClass::INPUT_OUTPUT,
        COPY_FROM_PARENT,
        &aux,
    )
    .expect("create");
    id
}

/// Creates and maps an override-redirect window without a border on `root`.
pub fn create_mapped<C: Connection>(
    conn: &C,
    root: u32,
    rect: (i16, i16, u16, u16),
    rgb: u32,
) -> u32 {
    let aux = CreateWindowAux::new().override_redirect(1);
    let id = create_window(conn, root, rect, rgb, (0, 0), aux);
    conn.map_window(id).expect("map");
    id
}

/// Syncs, then polls until the screen shows `window` as X drew it: inside its bounding shape
/// its contents (read from the window, i.e. its redirected pixmap) and `border_rgb` on its
/// border, elsewhere in its extents and on a one-pixel ring around them `under(x, y)`.
/// Returns the number of screen pixels inside the shape and outside it (within the extents).
pub fn expect_window_as_drawn<C: Connection>(
    conn: &C,
    screen: usize,
    window: u32,
    border_rgb: u32,
    under: impl Fn(i16, i16) -> u32,
) -> (usize, usize) {
    sync(conn, screen);
    let root = conn.setup().roots[screen].root;
    let (x, y, w, h, bw) = geometry(conn, window);
    let (ow, oh) = (w + 2 * bw, h + 2 * bw);
    let (bw, wi, hi) = (bw as i16, w as i16, h as i16);
    let mut last = String::new();
    let ok = (0..200).find_map(|_| {
        let shape = bounding_shape(conn, window);
        let contents = get_rect(conn, window, 0, 0, w, h);
        let seen = get_rect(conn, root, x - 1, y - 1, ow + 2, oh + 2);
        let (mut inside, mut outside, mut wrong) = (0, 0, Vec::new());
        for (i, &got) in seen.iter().enumerate() {
            let sx = x - 1 + (i % (usize::from(ow) + 2)) as i16;
            let sy = y - 1 + (i / (usize::from(ow) + 2)) as i16;
            // Window-origin coordinates, as the SHAPE extension uses them.
            let (wx, wy) = (sx - x - bw, sy - y - bw);
            let in_extents = (-bw..wi + bw).contains(&wx) && (-bw..hi + bw).contains(&wy);
            let in_shape = in_extents && shape.iter().any(|r| contains(r, wx, wy));
            let want = if !in_shape {
                outside += usize::from(in_extents);
                under(sx, sy)
            } else if (0..wi).contains(&wx) && (0..hi).contains(&wy) {
                inside += 1;
                contents[wy as usize * usize::from(w) + wx as usize]
            } else {
                border_rgb
            };
            if got != want {
                wrong.push(format!("{sx},{sy}: {got:#08x} not {want:#08x}"));
            }
        }
        if wrong.is_empty() {
            return Some((inside, outside));
        }
        last = format!(
            "{} wrong pixels, first {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(5)]
        );
        std::thread::sleep(Duration::from_millis(10));
        None
    });
    ok.unwrap_or_else(|| panic!("window {window:#x} at {x},{y} {w}x{h} (border {bw}): {last}"))
}

/// The bounding shape of `window` in window-origin coordinates (its border rectangle when
/// unshaped: GetRectangles then answers a rectangle that is short by one border width on the
/// right and bottom in the X server, 21.1 at least).
pub fn bounding_shape<C: Connection>(conn: &C, window: u32) -> Vec<Rectangle> {
    let shaped = conn
        .shape_query_extents(window)
        .expect("request")
        .reply()
        .expect("shape extents")
        .bounding_shaped;
    if !shaped {
        let (_, _, width, height, bw) = geometry(conn, window);
        let b = bw as i16;
        return vec![Rectangle {
            x: -b,
            y: -b,
            width: width + 2 * bw,
            height: height + 2 * bw,
        }];
    }
    conn.shape_get_rectangles(window, shape::SK::BOUNDING)
        .expect("request")
        .reply()
        .expect("shape rectangles")
        .rectangles
}

fn contains(r: &Rectangle, x: i16, y: i16) -> bool {
    let (x, y) = (i32::from(x), i32::from(y));
    let (rx, ry) = (i32::from(r.x), i32::from(r.y));
    (rx..rx + i32::from(r.width)).contains(&x) && (ry..ry + i32::from(r.height)).contains(&y)
}

/// Two overlapping windows on a running compositor: exact edges and stacking (red over blue),
/// a repaint of the lower window (green) and a move of the upper one, then the upper one at
/// 50% over the background. The windows are destroyed at the end.
pub fn two_window_checks<C: Connection>(conn: &C, screen: usize) {
    let blue = zcx_testkit::TestWindow::new(conn, screen, 20, 20, 100, 80, BLUE);
    let red = zcx_testkit::TestWindow::new(conn, screen, 60, 50, 100, 80, RED);
    expect_pixels(
        conn,
        screen,
        &[
            (60, 50, RED),
            (159, 129, RED),
            (59, 99, BLUE),
            (20, 20, BLUE),
            (160, 100, BACKGROUND),
            (100, 130, BACKGROUND),
            (19, 20, BACKGROUND),
        ],
    );
    let aux = x11rb::protocol::xproto::ChangeWindowAttributesAux::new().background_pixel(GREEN);
    conn.change_window_attributes(blue.id(), &aux)
        .expect("recolour");
    conn.clear_area(false, blue.id(), 0, 0, 0, 0)
        .expect("repaint");
    let aux = x11rb::protocol::xproto::ConfigureWindowAux::new().x(180);
    conn.configure_window(red.id(), &aux).expect("move");
    expect_window(conn, screen, (20, 20, 100, 80), GREEN, BACKGROUND);
    expect_window(conn, screen, (180, 50, 100, 80), RED, BACKGROUND);
    set_opacity(conn, red.id(), 0x8000_0000);
    // Red at 50% over the background (paths round blends differently).
    expect_pixel_near(conn, screen, 200, 100, 0x0098_1818, 2);
}
