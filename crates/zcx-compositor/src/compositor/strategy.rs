//! The composite strategy (`--composite`), resolved once at start-up into one closed enum that
//! owns what it needs: [`Strategy::ServerCopy`] the X server's helpers ([`ServerSide`]: the
//! copier, the scaler, the HUD compositor) plus a GL side for what the server cannot draw,
//! [`Strategy::Gl`] the GL side alone ([`GlSide`]: the GL context with its renderer, importer
//! and present path). `--import auto` and `--present auto` are resolved here too
//! ([`GlSetup`]), so nothing after start-up sees `auto`.

use std::ptr::NonNull;
use std::rc::Rc;
use std::time::Instant;

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{ConnectionExt as _, Screen, Window};
use x11rb::xcb_ffi::XCBConnection;

use super::error::CompositorError;
use super::options::Options;
use crate::backend::gl::egl_image::EglImageApi;
use crate::backend::gl::import::{self, ImportError, ImportMode, ImportPath, PixmapImporter};
use crate::backend::gl::import_dri3::{dri3_unsupported, Dri3Importer};
use crate::backend::gl::present::{
    self, EglSurfacePresenter, PresentFacts, PresentPath, Presenter, PutImagePresenter,
    ShmPutPresenter,
};
use crate::backend::gl::{GlContext, GlRenderer, NativeWindow};
use crate::backend::server::copy::{self, ServerCopier};
use crate::backend::server::hud::ServerHud;
use crate::backend::server::scale::ServerScaler;
use crate::model::WindowId;
use crate::scene::split::CompositeMode;
use crate::scene::TextureKey;

/// Who produces the repainted pixels, with what each way needs. Field order inside each side
/// is drop order (GL objects before their context).
pub(crate) enum Strategy<'c> {
    /// The X server copies, scales, fills and composites the HUD; GL draws the rest.
    ServerCopy(Box<ServerSide<'c>>),
    /// Every repainted pixel through GL.
    Gl(Box<GlSide<'c>>),
}

/// The X server's helpers of the server-copy strategy, and its GL side while it lives.
pub(crate) struct ServerSide<'c> {
    pub(crate) gl: Option<GlSide<'c>>,
    /// When a GL part was last needed (`compositor::gl_life`).
    pub(crate) gl_used_at: Instant,
    pub(crate) copier: ServerCopier<'c, XCBConnection>,
    /// `None` without RENDER 0.10: scaled windows go through GL.
    pub(crate) scaler: Option<ServerScaler<'c, XCBConnection>>,
    /// `None` with `--no-hud` or without RENDER's ARGB32 format: the HUD goes through GL.
    pub(crate) hud: Option<ServerHud<'c, XCBConnection>>,
    /// The root visual's pixels are 0x00RRGGBB: background fills can go to the server.
    pub(crate) fills: bool,
}

/// The GL context and everything that draws with it.
pub(crate) struct GlSide<'c> {
    pub(crate) renderer: GlRenderer,
    pub(crate) importer: Box<dyn PixmapImporter + 'c>,
    pub(crate) presenter: Box<dyn Presenter + 'c>,
    _context: Rc<GlContext>,
}

/// What start-up knows about the X server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ServerFacts {
    /// MIT-SHM works on this connection.
    pub(crate) shm_usable: bool,
    /// DRI3 or DRI2: the server shares buffers with clients.
    pub(crate) shares_buffers: bool,
    /// DRI3: the server exports pixmaps as dma-bufs (`--import dri3`).
    pub(crate) dri3: bool,
}

/// What making a [`GlSide`] needs, with `auto` resolved.
#[derive(Clone, Copy, Debug)]
pub(crate) struct GlSetup {
    pub(crate) screen_num: usize,
    pub(crate) overlay: Window,
    pub(crate) depth: u8,
    pub(crate) import: ImportPath,
    pub(crate) present: PresentPath,
    pub(crate) shm_usable: bool,
}

impl<'c> Strategy<'c> {
    /// Resolves `auto`, refuses what cannot work here (exit status 2) and builds the strategy.
    /// `server-copy` starts without GL (`compositor::gl_life` makes it when first needed);
    /// it asks EGL at start-up only where the answer decides something: an explicit
    /// `--import egl-pixmap` (refused here when EGL cannot), or `--import auto` on a server
    /// that shares buffers with clients (DRI3 or DRI2: pixmap images may work). Elsewhere (Xvfb)
    /// no EGL display can make images of its pixmaps, and `auto` picks without asking.
    pub(crate) fn start(
        conn: &'c XCBConnection,
        options: &Options,
        overlay: Window,
        server: ServerFacts,
    ) -> Result<(Self, GlSetup), CompositorError> {
        let screen = &conn.setup().roots[options.screen_num];
        let gl_now = options.composite == CompositeMode::Gl;
        let ask_egl = match ImportPath::named(options.import) {
            Some(path) => path.aliases_pixmaps(),
            None => server.shares_buffers,
        };
        // A surfaceless context first: its renderer string tells `present::choose` whether
        // the GPU path applies, its EGL display whether pixmap images work.
        let context = (gl_now || ask_egl)
            .then(|| surfaceless(conn, options.screen_num))
            .transpose()?
            .map(Rc::new);
        let setup = GlSetup::resolve(options, screen, overlay, server, context.as_deref())?;
        let size = (
            screen.width_in_pixels.into(),
            screen.height_in_pixels.into(),
        );
        let strategy = match options.composite {
            CompositeMode::ServerCopy => {
                drop(context);
                Self::ServerCopy(Box::new(ServerSide::new(
                    conn,
                    screen,
                    overlay,
                    options.hud,
                )?))
            }
            CompositeMode::Gl => Self::Gl(Box::new(setup.make(conn, context, size)?)),
        };
        log::info!(
            "composite: {} ({}), import: {}, present: {}",
            strategy.mode().name(),
            strategy.describe(),
            setup.import.name(),
            setup.present.name()
        );
        Ok((strategy, setup))
    }

    pub(crate) fn mode(&self) -> CompositeMode {
        match self {
            Self::ServerCopy(_) => CompositeMode::ServerCopy,
            Self::Gl(_) => CompositeMode::Gl,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::ServerCopy(_) => {
                "the X server copies (and RENDER-scales) opaque uncovered windows from their \
                 pixmaps; GL composites the rest, with a GL context made when first needed"
            }
            Self::Gl(_) => "every repainted pixel is composited by GL",
        }
    }

    pub(crate) fn has_gl(&self) -> bool {
        match self {
            Self::ServerCopy(s) => s.gl.is_some(),
            Self::Gl(_) => true,
        }
    }

    /// The GL side, where there is one.
    pub(crate) fn gl_mut(&mut self) -> Option<&mut GlSide<'c>> {
        match self {
            Self::ServerCopy(s) => s.gl.as_mut(),
            Self::Gl(g) => Some(&mut **g),
        }
    }

    /// The X server's helpers, with `server-copy`.
    pub(crate) fn server_mut(&mut self) -> Option<&mut ServerSide<'c>> {
        match self {
            Self::ServerCopy(s) => Some(&mut **s),
            Self::Gl(_) => None,
        }
    }

    /// Lets go of what GL and RENDER hold of `id`'s named pixmap before it is freed, in the
    /// order DESIGN asks for: a texture aliasing it, then its EGL image (the caller then frees
    /// the X pixmap); RENDER's picture of it too.
    pub(crate) fn release_pixmap_users(&mut self, id: WindowId) {
        if let Some(gl) = self.gl_mut() {
            if gl.importer.aliases_pixmaps() {
                gl.renderer.remove_window(TextureKey::Window(id));
            }
            gl.importer.forget(id);
        }
        if let Some(s) = self.server_mut().and_then(|s| s.scaler.as_mut()) {
            s.retain(|w| w != id);
        }
    }

    /// Drops the texture of `key` (its contents are stale or gone).
    pub(crate) fn drop_texture(&mut self, key: TextureKey) {
        if let Some(gl) = self.gl_mut() {
            gl.renderer.remove_window(key);
        }
    }
}

impl<'c> ServerSide<'c> {
    fn new(
        conn: &'c XCBConnection,
        screen: &Screen,
        overlay: Window,
        hud: bool,
    ) -> Result<Self, CompositorError> {
        let hud = match hud.then(|| ServerHud::new(conn, overlay)) {
            Some(Ok(h)) => Some(h),
            Some(Err(e)) => {
                log::warn!("HUD composited by GL: {e}");
                None
            }
            None => None,
        };
        let scaler = ServerScaler::new(conn, overlay)
            .inspect_err(|e| log::warn!("scaled windows composited by GL: {e}"))
            .ok();
        Ok(Self {
            gl: None,
            gl_used_at: Instant::now(),
            copier: ServerCopier::new(conn, overlay)?,
            scaler,
            hud,
            fills: copy::rgb_is_pixel(screen),
        })
    }
}

impl GlSetup {
    /// Resolves `--import` and `--present`; `context` is the start-up context, if one was
    /// made (the GL strategy, or an EGL question to answer).
    fn resolve(
        options: &Options,
        screen: &Screen,
        overlay: Window,
        server: ServerFacts,
        context: Option<&GlContext>,
    ) -> Result<Self, CompositorError> {
        let facts = PresentFacts {
            composite: options.composite,
            shm_usable: server.shm_usable,
            // Only `--composite gl` asks (the window surface cannot mix with server copies).
            hardware_gl: context.is_some_and(|c| !present::is_software_renderer(&c.renderer())),
        };
        let images = ImageFacts::ask(context, server);
        Ok(Self {
            screen_num: options.screen_num,
            overlay,
            depth: screen.root_depth,
            import: resolve_import(options.import, images, server.shm_usable)?,
            present: present::choose(options.present, facts).map_err(CompositorError::Usage)?,
            shm_usable: server.shm_usable,
        })
    }

    /// Makes the GL side for a `width`×`height` screen, on `context` when it is given and
    /// fits the present path (an EGL window surface needs a context made on the overlay).
    pub(crate) fn make<'c>(
        &self,
        conn: &'c XCBConnection,
        context: Option<Rc<GlContext>>,
        (width, height): (u32, u32),
    ) -> Result<GlSide<'c>, CompositorError> {
        let context = match context {
            _ if self.present == PresentPath::EglSurface => {
                drop(context);
                Rc::new(self.on_overlay(conn, (width, height))?)
            }
            Some(c) => c,
            None => Rc::new(surfaceless(conn, self.screen_num)?),
        };
        let renderer = GlRenderer::new(&context.gl, width, height)?;
        let importer = make_importer(conn, self.import, &context)?;
        let presenter: Box<dyn Presenter + 'c> = match self.present {
            PresentPath::EglSurface => Box::new(EglSurfacePresenter::new(context.clone(), height)),
            PresentPath::ShmPut => Box::new(ShmPutPresenter::new(
                conn,
                self.overlay,
                self.depth,
                width,
                height,
            )?),
            PresentPath::PutImage => {
                if !self.shm_usable {
                    log::warn!(
                        "MIT-SHM is unusable here: presenting with core PutImage (pixels \
                         through the socket)"
                    );
                }
                Box::new(PutImagePresenter::new(conn, self.overlay, self.depth)?)
            }
        };
        Ok(GlSide {
            renderer,
            importer,
            presenter,
            _context: context,
        })
    }

    /// A context current on an EGL window surface of the overlay.
    fn on_overlay(
        &self,
        conn: &XCBConnection,
        (width, height): (u32, u32),
    ) -> Result<GlContext, CompositorError> {
        let visual = conn.get_window_attributes(self.overlay)?.reply()?.visual;
        let overlay = NativeWindow {
            id: self.overlay,
            visual,
            width,
            height,
        };
        let raw = raw_xcb(conn)?;
        // SAFETY: `raw` is the live xcb connection behind `conn`, which outlives every GL side
        // (`'c`); the overlay lives as long as the manager session, which the compositor drops
        // after its strategy (field order).
        Ok(unsafe { GlContext::new(raw, self.screen_num, Some(overlay)) }?)
    }
}

/// A GL context without a surface on `conn`.
fn surfaceless(conn: &XCBConnection, screen_num: usize) -> Result<GlContext, CompositorError> {
    let raw = raw_xcb(conn)?;
    // SAFETY: `raw` is the live xcb connection behind `conn`, which outlives every GL side.
    Ok(unsafe { GlContext::new(raw, screen_num, None) }?)
}

fn raw_xcb(conn: &XCBConnection) -> Result<NonNull<std::ffi::c_void>, CompositorError> {
    NonNull::new(conn.get_raw_xcb_connection()).ok_or(CompositorError::NoXcbConnection)
}

/// What the EGL display (and the server) offer for zero-copy images: each `Err` says what is
/// missing.
struct ImageFacts {
    hardware_gl: bool,
    egl_pixmap: Result<(), String>,
    dri3: Result<(), String>,
}

impl ImageFacts {
    fn ask(context: Option<&GlContext>, server: ServerFacts) -> Self {
        let Some(c) = context else {
            let why = "the X server shares no buffers with clients (no DRI3, no DRI2), so EGL \
                       cannot make images of its pixmaps";
            return Self {
                hardware_gl: false,
                egl_pixmap: Err(why.into()),
                dri3: Err(why.into()),
            };
        };
        let api = EglImageApi::load(c);
        let dri3 = if server.dri3 {
            api.as_ref()
                .map_err(Clone::clone)
                .and_then(|a| a.dma_buf_images())
        } else {
            Err("the X server has no DRI3 extension (Xvfb and other software servers)".into())
        };
        Self {
            hardware_gl: !present::is_software_renderer(&c.renderer()),
            egl_pixmap: api.and_then(|a| a.pixmap_images()),
            dri3,
        }
    }
}

/// The importer `mode` asks for, `auto` resolved; a named one this display cannot do is a
/// refusal.
fn resolve_import(
    mode: ImportMode,
    images: ImageFacts,
    shm_usable: bool,
) -> Result<ImportPath, CompositorError> {
    match ImportPath::named(mode) {
        None => {
            let (path, why) = import::choose_auto(import::AutoFacts {
                hardware_gl: images.hardware_gl,
                dri3_usable: images.dri3.is_ok(),
                egl_pixmap_usable: images.egl_pixmap.is_ok(),
                shm_usable,
            });
            log::info!("--import auto chose {}: {why}", path.name());
            Ok(path)
        }
        Some(ImportPath::ShmGetImage) if !shm_usable => Err(ImportError::Unsupported {
            mode: "shm-get-image",
            why: "MIT-SHM is unusable on this connection (remote, or attaching a segment failed)"
                .into(),
        }
        .into()),
        Some(ImportPath::EglPixmap) => match images.egl_pixmap {
            Ok(()) => Ok(ImportPath::EglPixmap),
            Err(missing) => Err(import::egl_pixmap_unsupported(missing).into()),
        },
        Some(ImportPath::Dri3) => match images.dri3 {
            Ok(()) => Ok(ImportPath::Dri3),
            Err(missing) => Err(dri3_unsupported(missing).into()),
        },
        Some(path) => Ok(path),
    }
}

fn make_importer<'c>(
    conn: &'c XCBConnection,
    path: ImportPath,
    context: &GlContext,
) -> Result<Box<dyn PixmapImporter + 'c>, CompositorError> {
    let software_gl = present::is_software_renderer(&context.renderer());
    let finish = || import::ServerFinish::new(conn, software_gl);
    Ok(match path {
        ImportPath::GetImage => Box::new(import::GetImageImporter::new(conn)),
        // One page at first: the segment grows to what an import needs, and with
        // `server-copy` nothing may ever be imported.
        ImportPath::ShmGetImage => Box::new(import::ShmGetImageImporter::new(conn, 4096)?),
        ImportPath::EglPixmap => {
            match EglImageApi::load(context).and_then(|api| api.pixmap_images().map(|()| api)) {
                Ok(api) => Box::new(import::EglPixmapImporter::new(api, finish())),
                Err(missing) => return Err(import::egl_pixmap_unsupported(missing).into()),
            }
        }
        ImportPath::Dri3 => {
            let api = EglImageApi::load(context).map_err(dri3_unsupported)?;
            Box::new(Dri3Importer::new(conn, api, finish())?)
        }
    })
}
