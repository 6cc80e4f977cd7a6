//! The compositor: owns the manager session, the window model, per-window X resources, the GL
//! renderer, the importer and the presenter, and runs the event loop: drain X events into the
//! model, name pixmaps, fetch damage, import damaged rectangles, build and execute the draw
//! list for the screen damage, present it, answer sync requests, then sleep in poll(2) until
//! the X socket or a signal wakes it. Idle means no work and no wake-ups.

use std::collections::{HashMap, HashSet};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::ptr::NonNull;
use std::time::Instant;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use x11rb::connection::Connection;
use x11rb::errors::{ConnectionError, ReplyError, ReplyOrIdError};
use x11rb::protocol::xfixes::RegionWrapper;
use x11rb::protocol::xproto::{ConnectionExt as _, Window};
use x11rb::xcb_ffi::XCBConnection;

use crate::gl::{GlContext, GlError, GlRenderer};
use crate::import::{self, ImportError, ImportMode, ImportSource, PixmapImporter};
use crate::manager::{ManagerError, ManagerSession};
use crate::model::{WindowId, WindowModel};
use crate::present::{PresentError, Presenter, PutImagePresenter, ShmPutPresenter};
use crate::scene::{DrawList, Scene};
use crate::xwindows::{self, Atoms, WindowResources};

#[derive(Debug, thiserror::Error)]
pub enum CompositorError {
    #[error(transparent)]
    Manager(#[from] ManagerError),
    #[error(transparent)]
    Gl(#[from] GlError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Present(#[from] PresentError),
    #[error("X connection failed: {0}")]
    Connection(#[from] ConnectionError),
    #[error("X request failed: {0}")]
    Request(String),
    #[error("waiting for events: {0}")]
    Poll(#[from] nix::Error),
}

impl From<ReplyError> for CompositorError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::ConnectionError(c) => Self::Connection(c),
            ReplyError::X11Error(x) => Self::Request(format!("{:?}", x.error_kind)),
        }
    }
}

impl From<ReplyOrIdError> for CompositorError {
    fn from(e: ReplyOrIdError) -> Self {
        match e {
            ReplyOrIdError::ConnectionError(c) => Self::Connection(c),
            other => Self::Request(other.to_string()),
        }
    }
}

/// Start-up choices.
#[derive(Clone, Debug)]
pub struct Options {
    pub screen_num: usize,
    pub replace: bool,
    pub import: ImportMode,
    pub background_rgb: u32,
    /// Stop after this many composited frames.
    pub frames: Option<u64>,
}

/// Why the event loop ended; every one of them is a clean exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Signal,
    SelectionLost,
    FramesDone,
}

/// Counters for the exit summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub frames: u64,
    pub imported_bytes: u64,
    pub paint_ms_total: f64,
}

/// Field order is drop order: GL objects (renderer, importer, presenter) before the context,
/// X resources before the session, and the session (unredirect) last.
pub struct Compositor<'c> {
    pub(crate) renderer: GlRenderer,
    pub(crate) importer: Box<dyn PixmapImporter + 'c>,
    pub(crate) presenter: Box<dyn Presenter + 'c>,
    pub(crate) resources: HashMap<WindowId, WindowResources<'c, XCBConnection>>,
    scratch: RegionWrapper<&'c XCBConnection>,
    _gl: GlContext,
    pub(crate) session: ManagerSession<'c, XCBConnection>,
    pub(crate) conn: &'c XCBConnection,
    pub(crate) atoms: Atoms,
    pub(crate) model: WindowModel,
    pub(crate) damaged: HashSet<WindowId>,
    pub(crate) pending_sync: Vec<(Window, u32)>,
    pub(crate) options: Options,
    pub counters: Counters,
}

impl<'c> Compositor<'c> {
    pub fn new(conn: &'c XCBConnection, options: Options) -> Result<Self, CompositorError> {
        let session = ManagerSession::acquire(conn, options.screen_num, options.replace)?;
        let screen = &conn.setup().roots[options.screen_num];
        let (width, height, depth) = (
            screen.width_in_pixels.into(),
            screen.height_in_pixels.into(),
            screen.root_depth,
        );
        let root = screen.root;
        let atoms = Atoms::intern(conn)?;
        let raw = NonNull::new(conn.get_raw_xcb_connection())
            .ok_or_else(|| CompositorError::Request("null xcb connection".into()))?;
        // SAFETY: `raw` is the live xcb connection behind `conn`, which outlives `self`.
        let gl = unsafe { GlContext::new(raw, options.screen_num) }?;
        let renderer = GlRenderer::new(&gl.gl, width, height)?;
        let probe = zcx_x11::probe::ServerProbe::probe(conn, options.screen_num, socket_kind(conn));
        let shm_usable = probe.as_ref().is_ok_and(|p| p.shm_usable());
        let importer = make_importer(conn, options.import, shm_usable, &gl, width, height)?;
        let presenter: Box<dyn Presenter + 'c> = if shm_usable {
            Box::new(ShmPutPresenter::new(
                conn,
                session.overlay(),
                depth,
                width,
                height,
            )?)
        } else {
            log::warn!("MIT-SHM is unusable here: presenting with core PutImage (pixels through the socket)");
            Box::new(PutImagePresenter::new(conn, session.overlay(), depth)?)
        };
        log::info!("import: {}, present: {}", importer.name(), presenter.name());
        let scratch = RegionWrapper::create_region(conn, &[])?;
        let mut model = WindowModel::new(width, height);
        model.ignore(session.overlay());
        model.ignore(session.selection_window());
        let mut this = Self {
            renderer,
            importer,
            presenter,
            resources: HashMap::new(),
            scratch,
            _gl: gl,
            session,
            conn,
            atoms,
            model,
            damaged: HashSet::new(),
            pending_sync: Vec::new(),
            options,
            counters: Counters::default(),
        };
        this.adopt_existing(root)?;
        Ok(this)
    }

    /// Adopts the windows that exist already (root events are selected by the session).
    fn adopt_existing(&mut self, root: Window) -> Result<(), CompositorError> {
        let tree = self.conn.query_tree(root)?.reply()?;
        let infos = xwindows::query_infos(self.conn, &self.atoms, &tree.children)?;
        for info in &infos {
            self.track(info)?;
        }
        self.model.add_existing(infos);
        Ok(())
    }

    pub(crate) fn track(&mut self, info: &crate::model::WindowInfo) -> Result<(), CompositorError> {
        if info.id == self.session.overlay() || info.id == self.session.selection_window() {
            return Ok(());
        }
        let res = WindowResources::track(self.conn, info)?;
        self.resources.insert(info.id, res);
        Ok(())
    }

    pub(crate) fn untrack(&mut self, id: WindowId) {
        self.renderer.remove_window(id);
        self.resources.remove(&id);
        self.damaged.remove(&id);
    }

    /// Runs until a signal (readable `signals`), the loss of the selection or `--frames`.
    pub fn run(&mut self, signals: &UnixStream) -> Result<Exit, CompositorError> {
        let mut work = true;
        loop {
            while let Some(event) = self.conn.poll_for_event()? {
                work = true;
                if let Some(exit) = self.handle_event(event)? {
                    return Ok(exit);
                }
            }
            if work {
                work = false;
                self.refresh()?;
                if self
                    .options
                    .frames
                    .is_some_and(|n| self.counters.frames >= n)
                {
                    return Ok(Exit::FramesDone);
                }
                self.conn.flush()?;
                continue; // round trips may have queued events: drain before sleeping
            }
            self.conn.flush()?;
            let mut fds = [
                PollFd::new(self.conn.as_fd(), PollFlags::POLLIN),
                PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            ];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(nix::Error::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
            if fds[1].revents().is_some_and(|r| !r.is_empty()) {
                return Ok(Exit::Signal);
            }
        }
    }

    /// One frame's worth of work; does nothing (and no X traffic) when nothing changed.
    fn refresh(&mut self) -> Result<(), CompositorError> {
        let started = Instant::now();
        self.rename_pixmaps()?;
        self.fetch_damage()?;
        self.import_damage()?;
        let damage = self.model.take_screen_damage();
        if !damage.is_empty() {
            let list = DrawList::build(
                &Scene::from_model(&self.model),
                &damage,
                self.options.background_rgb,
            );
            self.renderer.execute(&list);
            self.presenter.present(&self.renderer, &list.damage)?;
            self.counters.frames += 1;
            self.counters.paint_ms_total += started.elapsed().as_secs_f64() * 1e3;
            log::debug!(
                "frame {}: {} ops, {} px in {:?}",
                self.counters.frames,
                list.ops.len(),
                list.damage.area(),
                started.elapsed()
            );
        }
        for (window, token) in std::mem::take(&mut self.pending_sync) {
            crate::sync_hook::answer(
                self.conn,
                self.atoms.zcx_sync,
                window,
                token,
                self.counters.frames as u32,
            )?;
        }
        Ok(())
    }

    fn rename_pixmaps(&mut self) -> Result<(), CompositorError> {
        let stale: Vec<_> = self
            .model
            .stacking()
            .filter(|w| w.needs_pixmap && w.is_visible())
            .map(|w| (w.id(), w.info.geometry.outer_size()))
            .collect();
        for (id, (w, h)) in stale {
            if let Some(win) = self.model.get_mut(id) {
                win.needs_pixmap = false;
            }
            let Some(res) = self.resources.get_mut(&id) else {
                continue;
            };
            if res.rename_pixmap(self.conn, id)? {
                self.renderer.ensure_window(id, w, h)?;
            } else {
                self.renderer.remove_window(id);
            }
        }
        Ok(())
    }

    fn fetch_damage(&mut self) -> Result<(), CompositorError> {
        if self.damaged.is_empty() {
            return Ok(());
        }
        let list: Vec<_> = self
            .damaged
            .drain()
            .filter_map(|id| {
                self.resources
                    .get(&id)
                    .and_then(|r| r.damage.as_ref())
                    .map(|d| (id, d.damage()))
            })
            .collect();
        for (id, rects) in xwindows::fetch_damage(self.conn, self.scratch.region(), &list)? {
            self.model.handle_damage(id, &rects);
        }
        Ok(())
    }

    fn import_damage(&mut self) -> Result<(), CompositorError> {
        let visible: Vec<WindowId> = self
            .model
            .stacking()
            .filter(|w| w.is_visible())
            .map(|w| w.id())
            .collect();
        for id in visible {
            let Some(win) = self.model.get_mut(id) else {
                continue;
            };
            if win.content_damage.is_empty() {
                continue;
            }
            let rects = win.content_damage.take();
            let (width, height) = win.info.geometry.outer_size();
            let Some(pixmap) = self
                .resources
                .get(&id)
                .and_then(|r| r.pixmap.as_ref())
                .map(|p| p.pixmap())
            else {
                continue;
            };
            if !self.renderer.has_window(id) {
                continue;
            }
            let src = ImportSource {
                window: id,
                pixmap,
                width,
                height,
            };
            match self.importer.import(&self.renderer, &src, rects.rects()) {
                Ok(bytes) => self.counters.imported_bytes += bytes,
                Err(ImportError::Vanished(why)) => log::debug!("import of {id:#x}: {why}"),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// Whether the connection is a UNIX socket (MIT-SHM and fd passing can work) or TCP.
fn socket_kind(conn: &XCBConnection) -> zcx_x11::connection::SocketKind {
    use nix::sys::socket::{getsockname, AddressFamily, SockaddrLike, SockaddrStorage};
    use std::os::fd::AsRawFd;
    match getsockname::<SockaddrStorage>(conn.as_raw_fd()).map(|a| a.family()) {
        Ok(Some(AddressFamily::Unix)) => zcx_x11::connection::SocketKind::Local,
        _ => zcx_x11::connection::SocketKind::Tcp,
    }
}

fn make_importer<'c>(
    conn: &'c XCBConnection,
    mode: ImportMode,
    shm_usable: bool,
    gl: &GlContext,
    width: u32,
    height: u32,
) -> Result<Box<dyn PixmapImporter + 'c>, CompositorError> {
    let mode = match mode {
        ImportMode::Auto => {
            let (m, why) = import::choose_auto(shm_usable);
            log::info!("--import auto chose {m:?}: {why}");
            m
        }
        m => m,
    };
    Ok(match mode {
        ImportMode::GetImage | ImportMode::Auto => Box::new(import::GetImageImporter::new(conn)),
        ImportMode::ShmGetImage if !shm_usable => {
            return Err(ImportError::Unsupported {
                mode: "shm-get-image",
                why:
                    "MIT-SHM is unusable on this connection (remote, or attaching a segment failed)"
                        .into(),
            }
            .into())
        }
        ImportMode::ShmGetImage => Box::new(import::ShmGetImageImporter::new(
            conn,
            width as usize * height as usize * 4,
        )?),
        ImportMode::EglPixmap => {
            let has = gl.has_egl_extension("EGL_KHR_image_pixmap");
            return Err(import::egl_pixmap_unsupported(has)
                .unwrap_or(ImportError::Unsupported {
                    mode: "egl-pixmap",
                    why: "EGL_KHR_image_pixmap is present, but this build does not implement the egl-pixmap importer yet".into(),
                })
                .into());
        }
    })
}
