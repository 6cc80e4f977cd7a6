//! Measures the compositor's transfer paths at the screen's size on $DISPLAY (run it without
//! a compositor): clear + present of the whole screen with each present path, and a whole
//! window import with each importer, and the server-copy strategy's CopyArea of a whole
//! window pixmap and background fill. Prints medians and p90 in milliseconds.
//!
//! `Xvfb -screen 0 3840x2160x24 & DISPLAY=:N cargo run --release -p zcx-compositor --example present_bench`

use std::ptr::NonNull;
use std::time::Instant;

use anyhow::Context as _;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, CreateWindowAux, PixmapWrapper, WindowClass};
use x11rb::wrapper::ConnectionExt as _;
use zcx_compositor::backend::gl::import::{
    GetImageImporter, ImportSource, PixmapImporter, ShmGetImageImporter,
};
use zcx_compositor::backend::gl::present::{Presenter, PutImagePresenter, ShmPutPresenter};
use zcx_compositor::backend::gl::{GlContext, GlRenderer};
use zcx_compositor::backend::server::copy::ServerCopier;
use zcx_compositor::region::{Rect, Region};
use zcx_compositor::scene::split::ServerCopy;
use zcx_compositor::scene::{DrawList, DrawOp, TextureKey};

const RUNS: usize = 30;

fn report(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{what:<40} median {:7.2} ms   p90 {:7.2} ms   (n={})",
        ms[ms.len() / 2],
        ms[ms.len() * 9 / 10],
        ms.len()
    );
}

fn main() -> anyhow::Result<()> {
    let (conn, screen_num) = x11rb::xcb_ffi::XCBConnection::connect(None).context("connect")?;
    let screen = conn.setup().roots[screen_num].clone();
    let (w, h) = (
        u32::from(screen.width_in_pixels),
        u32::from(screen.height_in_pixels),
    );
    println!("screen {w}x{h}x{}", screen.root_depth);
    let win = conn.generate_id()?;
    let aux = CreateWindowAux::new()
        .override_redirect(1)
        .background_pixel(0);
    conn.create_window(
        0,
        win,
        screen.root,
        0,
        0,
        w as u16,
        h as u16,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &aux,
    )?;
    conn.map_window(win)?;
    conn.sync()?;
    let raw = NonNull::new(conn.get_raw_xcb_connection()).context("null xcb connection")?;
    // SAFETY: `conn` outlives the context (dropped at the end of main, after it).
    let gl = unsafe { GlContext::new(raw, screen_num, None) }?;
    let renderer = GlRenderer::new(&gl.gl, w, h)?;
    let full = Rect::new(0, 0, w, h);
    let damage = Region::from_rect(full);
    let mut presenters: Vec<Box<dyn Presenter>> = vec![
        Box::new(ShmPutPresenter::new(&conn, win, screen.root_depth, w, h)?),
        Box::new(PutImagePresenter::new(&conn, win, screen.root_depth)?),
    ];
    for p in &mut presenters {
        let (mut clear, mut present) = (Vec::new(), Vec::new());
        for i in 0..RUNS {
            let list = DrawList {
                ops: vec![DrawOp::Fill {
                    dst: full,
                    rgb: (i as u32 * 0x10_2030) & 0xff_ffff,
                }],
                damage: damage.clone(),
            };
            let t0 = Instant::now();
            renderer.execute(&list);
            renderer.finish();
            let t1 = Instant::now();
            p.present(&renderer, &damage)?;
            conn.sync()?;
            clear.push((t1 - t0).as_secs_f64() * 1e3);
            present.push(t1.elapsed().as_secs_f64() * 1e3);
        }
        report("clear (GL, scissored)", clear);
        report(
            &format!("present {} (read-back + put + round trip)", p.name()),
            present,
        );
    }
    drop(presenters);
    let pixmap = PixmapWrapper::create_pixmap(&conn, screen.root_depth, win, w as u16, h as u16)?;
    conn.sync()?;
    let mut renderer = renderer;
    renderer.ensure_window(TextureKey::Window(1), w, h)?;
    let src = ImportSource {
        texture: TextureKey::Window(1),
        pixmap: pixmap.pixmap(),
        width: w,
        height: h,
    };
    let mut importers: Vec<Box<dyn PixmapImporter>> = vec![
        Box::new(ShmGetImageImporter::new(&conn, (w * h * 4) as usize)?),
        Box::new(GetImageImporter::new(&conn)),
    ];
    for imp in &mut importers {
        let mut ms = Vec::new();
        for _ in 0..RUNS {
            let t0 = Instant::now();
            imp.import(&mut renderer, &src, &[full])?;
            renderer.finish();
            ms.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        report(
            &format!("import {} (whole window + upload)", imp.name()),
            ms,
        );
    }
    let copier = ServerCopier::new(&conn, win)?;
    let copy = [ServerCopy {
        window: 1,
        src: full,
        dst: full,
    }];
    let mut ms = Vec::new();
    for _ in 0..RUNS {
        let t0 = Instant::now();
        copier.copy(&copy, |_| Some(pixmap.pixmap()))?;
        conn.sync()?;
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    report("server-copy (CopyArea + round trip)", ms);
    let mut ms = Vec::new();
    for i in 0..RUNS {
        let t0 = Instant::now();
        copier.fill(&[(full, (i as u32 * 0x10_2030) & 0xff_ffff)])?;
        conn.sync()?;
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    report("server fill (PolyFillRectangle + round trip)", ms);
    Ok(())
}
