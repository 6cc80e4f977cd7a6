//! Integration tests of the root background, each on its own Xvfb: a pixmap published in
//! `_XROOTPMAP_ID` (or `_XSETROOT_ID`) is tiled from the screen origin under the windows with
//! both composite strategies, follows property changes and drawing into the pixmap, and
//! anything unusable (wrong type, format or length, a bogus or freed id, a window, xsetroot's
//! depth-1 dummy, the real `xsetroot -solid`) shows the solid `--background` colour while the
//! compositor keeps running.

mod common;

use std::process::Command;

use common::{close, expect_pixel, sync, xvfb, CompositorProcess, BACKGROUND};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeGCAux, ConnectionExt as _, CreateGCAux, GcontextWrapper, PixmapWrapper,
    PropMode, Rectangle, VisualClass,
};
use x11rb::wrapper::ConnectionExt as _;
use zcx_testkit::{get_pixel, require_tools, TestWindow};

const RED: u32 = 0x00ff_0000;
/// The two colours of the 64×64 checkerboard tile (32×32 squares).
const TILE_A: u32 = 0x00c0_4000;
const TILE_B: u32 = 0x0000_80ff;
/// The two halves of the screen-sized pixmap.
const LEFT: u32 = 0x0020_c020;
const RIGHT: u32 = 0x00e0_e000;
/// What is drawn into the tile while it is in use.
const DRAWN: u32 = 0x00ff_00ff;

fn atom<C: Connection>(conn: &C, name: &str) -> u32 {
    conn.intern_atom(false, name.as_bytes())
        .expect("intern")
        .reply()
        .expect("atom")
        .atom
}

fn root<C: Connection>(conn: &C, screen: usize) -> u32 {
    conn.setup().roots[screen].root
}

/// Fills `rects` of `pixmap` with `rgb`.
fn fill<C: Connection>(conn: &C, pixmap: u32, rgb: u32, rects: &[Rectangle]) {
    let gc =
        GcontextWrapper::create_gc(conn, pixmap, &CreateGCAux::new().foreground(rgb)).expect("gc");
    conn.change_gc(gc.gcontext(), &ChangeGCAux::new().foreground(rgb))
        .expect("colour");
    conn.poly_fill_rectangle(pixmap, gc.gcontext(), rects)
        .expect("fill");
}

fn rect(x: i16, y: i16, width: u16, height: u16) -> Rectangle {
    Rectangle {
        x,
        y,
        width,
        height,
    }
}

/// A `w`×`h` pixmap of `depth` on the root of `screen`.
fn pixmap<C: Connection>(conn: &C, screen: usize, depth: u8, w: u16, h: u16) -> PixmapWrapper<&C> {
    PixmapWrapper::create_pixmap(conn, depth, root(conn, screen), w, h).expect("pixmap")
}

/// A root-depth `size`×`size` checkerboard: `TILE_A` top-left and bottom-right, `TILE_B`
/// elsewhere.
fn checker_of<C: Connection>(conn: &C, screen: usize, size: u16) -> PixmapWrapper<&C> {
    let p = pixmap(conn, screen, 24, size, size);
    let half = size / 2;
    let h = half as i16;
    fill(conn, p.pixmap(), TILE_A, &[rect(0, 0, size, size)]);
    fill(
        conn,
        p.pixmap(),
        TILE_B,
        &[rect(h, 0, half, half), rect(0, h, half, half)],
    );
    p
}

/// What a `size`×`size` checkerboard tiled from the origin shows at x,y.
fn checker_of_at(size: i16, x: i16, y: i16) -> u32 {
    if ((x % size) < size / 2) == ((y % size) < size / 2) {
        TILE_A
    } else {
        TILE_B
    }
}

fn checker<C: Connection>(conn: &C, screen: usize) -> PixmapWrapper<&C> {
    checker_of(conn, screen, 64)
}

fn checker_at(x: i16, y: i16) -> u32 {
    checker_of_at(64, x, y)
}

/// A root-depth screen-sized pixmap: `LEFT` on the left half, `RIGHT` on the right.
fn halves<C: Connection>(conn: &C, screen: usize) -> PixmapWrapper<&C> {
    let p = pixmap(conn, screen, 24, 320, 240);
    fill(conn, p.pixmap(), LEFT, &[rect(0, 0, 160, 240)]);
    fill(conn, p.pixmap(), RIGHT, &[rect(160, 0, 160, 240)]);
    p
}

/// Sets the root property `name` to `items` of `type_` (format 32).
fn publish<C: Connection>(conn: &C, screen: usize, name: &str, type_: AtomEnum, items: &[u32]) {
    conn.change_property32(
        PropMode::REPLACE,
        root(conn, screen),
        atom(conn, name),
        type_,
        items,
    )
    .expect("set the property");
}

/// Publishes `pixmap` in the root property `name`, as wallpaper tools do.
fn publish_pixmap<C: Connection>(conn: &C, screen: usize, name: &str, pixmap: u32) {
    publish(conn, screen, name, AtomEnum::PIXMAP, &[pixmap]);
}

fn expect_points<C: Connection>(
    conn: &C,
    screen: usize,
    points: &[(i16, i16)],
    want: impl Fn(i16, i16) -> u32,
) {
    for &(x, y) in points {
        expect_pixel(conn, screen, x, y, want(x, y));
    }
}

/// Uncovered points, including tile wraps (x or y past 64 and 128) and the far corner.
const UNCOVERED: [(i16, i16); 10] = [
    (0, 0),
    (40, 5),
    (5, 40),
    (40, 40),
    (64, 0),
    (70, 5),
    (96, 70),
    (200, 30),
    (99, 120),
    (319, 239),
];

/// (a) the tiled pixmap under a window, (b) drawing into it and publishing another one.
fn tiled_pixmap_follows_changes(composite: &str) {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let tile = checker(&conn, screen);
    publish_pixmap(&conn, screen, "_XROOTPMAP_ID", tile.pixmap());
    let _w = TestWindow::new(&conn, screen, 100, 100, 50, 40, RED);
    let _c = CompositorProcess::start(&x, &conn, screen, &["--composite", composite]);
    expect_points(&conn, screen, &UNCOVERED, checker_at);
    for (px, py) in [(100, 100), (149, 139), (120, 110)] {
        expect_pixel(&conn, screen, px, py, RED);
    }
    expect_points(
        &conn,
        screen,
        &[(99, 100), (150, 139), (100, 140)],
        checker_at,
    );

    // Drawing into the pixmap in use repaints every tile copy of the change.
    fill(&conn, tile.pixmap(), DRAWN, &[rect(0, 0, 8, 8)]);
    for (px, py) in [(3, 3), (67, 3), (3, 195), (259, 131)] {
        expect_pixel(&conn, screen, px, py, DRAWN);
    }
    expect_pixel(&conn, screen, 9, 9, TILE_A);

    // Another pixmap: a screen-sized one is drawn once, clipped, not tiled.
    let wallpaper = halves(&conn, screen);
    publish_pixmap(&conn, screen, "_XROOTPMAP_ID", wallpaper.pixmap());
    let halves_at = |x: i16, _y: i16| if x < 160 { LEFT } else { RIGHT };
    expect_points(
        &conn,
        screen,
        &[(3, 3), (159, 200), (160, 200), (319, 0), (99, 120)],
        halves_at,
    );
    expect_pixel(&conn, screen, 120, 110, RED);
}

#[test]
fn tiled_root_pixmap_with_server_copy() {
    tiled_pixmap_follows_changes("server-copy");
}

#[test]
fn tiled_root_pixmap_with_gl() {
    tiled_pixmap_follows_changes("gl");
}

/// Under a translucent window GL draws the background, with server-copy too: it imports the
/// pixmap and tiles it. A 16×16 tile cuts the window's area into more pieces than GL blits:
/// this is the repeating-sampler draw.
fn translucent_window_over_a_small_tile(composite: &str) {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let tile = checker_of(&conn, screen, 16);
    let tile_at = |x, y| checker_of_at(16, x, y);
    publish_pixmap(&conn, screen, "_XROOTPMAP_ID", tile.pixmap());
    let _c = CompositorProcess::start(&x, &conn, screen, &["--composite", composite]);
    expect_points(&conn, screen, &UNCOVERED, tile_at);
    let red = TestWindow::new(&conn, screen, 20, 20, 200, 150, RED);
    publish_opacity(&conn, red.id(), 0x8000_0000);
    sync(&conn, screen);
    let root = root(&conn, screen);
    for (px, py) in [(20, 20), (28, 20), (100, 70), (130, 101), (219, 169)] {
        let under = tile_at(px, py);
        let want = 0x0080_0000 + ((under >> 1) & 0x007f_7f7f);
        let got = get_pixel(&conn, root, px, py);
        assert!(
            close(got, want, 2),
            "{px},{py}: red at 50% over {under:#08x}: {got:#08x}, want about {want:#08x}"
        );
    }
    expect_points(&conn, screen, &[(19, 19), (220, 20), (5, 200)], tile_at);
}

#[test]
fn translucent_window_over_a_small_tile_with_server_copy() {
    translucent_window_over_a_small_tile("server-copy");
}

#[test]
fn translucent_window_over_a_small_tile_with_gl() {
    translucent_window_over_a_small_tile("gl");
}

fn publish_opacity<C: Connection>(conn: &C, window: u32, opacity: u32) {
    let a = atom(conn, "_NET_WM_WINDOW_OPACITY");
    conn.change_property32(PropMode::REPLACE, window, a, AtomEnum::CARDINAL, &[opacity])
        .expect("set opacity");
}

fn assert_running(c: &mut CompositorProcess, after: &str) {
    if let Ok(Some(status)) = c.child.try_wait() {
        panic!("zcx-compositor exited ({status}) after {after}");
    }
}

/// (c) garbage in the properties means the solid colour; the compositor keeps running and
/// uses the next good value.
#[test]
fn garbage_backgrounds_fall_back_to_the_colour() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let mut c = CompositorProcess::start(&x, &conn, screen, &[]);
    let solid = |_: i16, _: i16| BACKGROUND;
    let points = [(5, 5), (70, 70), (300, 200)];
    expect_points(&conn, screen, &points, solid);
    let good = checker(&conn, screen);
    let freed = pixmap(&conn, screen, 24, 16, 16).into_pixmap();
    conn.free_pixmap(freed).expect("free");
    let window = TestWindow::new(&conn, screen, 250, 0, 10, 10, RED);
    let dummy = pixmap(&conn, screen, 1, 1, 1);
    let cases: [(&str, &str, AtomEnum, Vec<u32>); 7] = [
        (
            "wrong type",
            "_XROOTPMAP_ID",
            AtomEnum::CARDINAL,
            vec![good.pixmap()],
        ),
        (
            "two items",
            "_XROOTPMAP_ID",
            AtomEnum::PIXMAP,
            vec![good.pixmap(); 2],
        ),
        ("no item", "_XROOTPMAP_ID", AtomEnum::PIXMAP, vec![]),
        (
            "bogus id",
            "_XROOTPMAP_ID",
            AtomEnum::PIXMAP,
            vec![0x1fff_fff0],
        ),
        (
            "freed pixmap",
            "_XROOTPMAP_ID",
            AtomEnum::PIXMAP,
            vec![freed],
        ),
        (
            "a window",
            "_XROOTPMAP_ID",
            AtomEnum::PIXMAP,
            vec![window.id()],
        ),
        (
            "depth-1 dummy",
            "_XSETROOT_ID",
            AtomEnum::PIXMAP,
            vec![dummy.pixmap()],
        ),
    ];
    for (what, name, type_, items) in cases {
        publish(&conn, screen, name, type_, &items);
        expect_points(&conn, screen, &points, solid);
        assert_running(&mut c, what);
    }
    let name = atom(&conn, "_XROOTPMAP_ID");
    conn.change_property8(
        PropMode::REPLACE,
        root(&conn, screen),
        name,
        AtomEnum::PIXMAP,
        b"1234",
    )
    .expect("set format 8");
    expect_points(&conn, screen, &points, solid);

    publish_pixmap(&conn, screen, "_XROOTPMAP_ID", good.pixmap());
    expect_points(&conn, screen, &points, checker_at);
    // Freed while in use: the last contents may stay; the compositor must not mind.
    drop(good);
    drop(window);
    sync(&conn, screen);
    assert_running(&mut c, "freeing the pixmap in use");
    conn.delete_property(root(&conn, screen), name)
        .expect("delete");
    expect_points(&conn, screen, &points, solid);
    assert_running(&mut c, "deleting _XROOTPMAP_ID");
}

/// `_XSETROOT_ID` is used when `_XROOTPMAP_ID` is absent, and `_XROOTPMAP_ID` wins over it.
#[test]
fn xsetroot_id_is_used_unless_xrootpmap_id_is_set() {
    let x = xvfb();
    let (conn, screen) = x.connect();
    let tile = checker(&conn, screen);
    publish_pixmap(&conn, screen, "_XSETROOT_ID", tile.pixmap());
    let _c = CompositorProcess::start(&x, &conn, screen, &[]);
    expect_points(&conn, screen, &UNCOVERED[..4], checker_at);
    let wallpaper = halves(&conn, screen);
    publish_pixmap(&conn, screen, "_XROOTPMAP_ID", wallpaper.pixmap());
    expect_pixel(&conn, screen, 40, 5, LEFT);
    expect_pixel(&conn, screen, 200, 5, RIGHT);
    conn.delete_property(root(&conn, screen), atom(&conn, "_XROOTPMAP_ID"))
        .expect("delete");
    expect_points(&conn, screen, &UNCOVERED[..4], checker_at);
}

/// The class of `visual` among the screen's visuals.
fn visual_class<C: Connection>(conn: &C, screen: usize, visual: u32) -> Option<VisualClass> {
    conn.setup().roots[screen]
        .allowed_depths
        .iter()
        .flat_map(|d| d.visuals.iter())
        .find(|v| v.visual_id == visual)
        .map(|v| v.class)
}

/// The real xsetroot: `-solid` sets the root window's own background, which a compositor
/// cannot read (the colour stays); `-mod` publishes a root-depth `_XSETROOT_ID` only on
/// colour-mapped visuals, and when it does, the screen must show that pixmap.
#[test]
fn real_xsetroot_keeps_the_compositor_running() {
    require_tools(&["xsetroot"]);
    let x = xvfb();
    let (conn, screen) = x.connect();
    let mut c = CompositorProcess::start(&x, &conn, screen, &[]);
    let xsetroot = |args: &[&str]| {
        let status = Command::new("xsetroot")
            .arg("-display")
            .arg(x.display())
            .args(args)
            .status()
            .expect("running xsetroot");
        assert!(status.success(), "xsetroot {args:?}: {status}");
    };
    xsetroot(&["-solid", "red"]);
    expect_points(&conn, screen, &[(5, 5), (300, 200)], |_, _| BACKGROUND);
    assert_running(&mut c, "xsetroot -solid");
    xsetroot(&["-mod", "4", "4", "-fg", "red", "-bg", "blue"]);
    sync(&conn, screen);
    assert_running(&mut c, "xsetroot -mod");
    let root = root(&conn, screen);
    let published = conn
        .get_property(
            false,
            root,
            atom(&conn, "_XSETROOT_ID"),
            AtomEnum::PIXMAP,
            0,
            1,
        )
        .expect("request")
        .reply()
        .ok()
        .and_then(|r| r.value32().and_then(|mut v| v.next()))
        .filter(|&p| {
            conn.get_geometry(p)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|g| g.depth == conn.setup().roots[screen].root_depth)
        });
    let Some(p) = published else {
        // xsetroot publishes only on colour-mapped visuals: on a TrueColor root it must not,
        // and the background colour must stay.
        let visual = conn.setup().roots[screen].root_visual;
        assert_eq!(
            visual_class(&conn, screen, visual),
            Some(VisualClass::TRUE_COLOR),
            "xsetroot -mod published no root-depth _XSETROOT_ID on a colour-mapped visual"
        );
        expect_points(&conn, screen, &[(5, 5), (300, 200)], |_, _| BACKGROUND);
        return;
    };
    let g = conn
        .get_geometry(p)
        .expect("request")
        .reply()
        .expect("geometry");
    for (px, py) in [(0, 0), (1, 1), (5, 6), (301, 203)] {
        let want = get_pixel(&conn, p, px % g.width as i16, py % g.height as i16);
        expect_pixel(&conn, screen, px, py, want);
    }
}
