//! The compositor: owns the manager session, the window model, per-window X resources and the
//! composite strategy (`strategy`: the server's helpers and the GL side), and runs the event
//! loop: drain X events into the
//! model, name pixmaps, fetch damage, import damaged rectangles, build and execute the draw
//! list for the screen damage, present it, answer sync requests, then sleep in poll(2) until
//! the X socket or a signal wakes it. Idle means no work and no wake-ups.

use std::collections::{HashMap, HashSet};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use x11rb::connection::Connection;
use x11rb::protocol::xfixes::RegionWrapper;
use x11rb::protocol::xproto::{ConnectionExt as _, Window};
use x11rb::xcb_ffi::XCBConnection;

mod error;
mod events;
mod frame;
mod gl_life;
mod hud;
mod hud_state;
mod options;
mod strategy;
mod unredirect;

use crate::backend::gl::import::ImportPath;
use crate::model::{WindowId, WindowModel};
use crate::scene::TextureKey;
use crate::stats::CompositorStats;
use crate::x::background::RootBackground;
use crate::x::handoff::Handoffs;
use crate::x::manager::ManagerSession;
use crate::x::windows::{self, Atoms, WindowResources};
pub use error::CompositorError;
pub use options::Options;
use strategy::{GlSetup, ServerFacts, Strategy};

/// Why the event loop ended; every one of them is a clean exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Signal,
    SelectionLost,
    FramesDone,
    DurationDone,
}

/// Counters for the exit summary.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub imported_bytes: u64,
    /// GL sides made (each with its own context).
    pub gl_contexts: u64,
}

/// Field order is drop order: the strategy's GL objects and X helpers first, X resources
/// before the session, and the session (unredirect) last.
pub struct Compositor<'c> {
    pub(crate) strategy: Strategy<'c>,
    pub(crate) resources: HashMap<WindowId, WindowResources<'c, XCBConnection>>,
    pub(crate) background: RootBackground<'c, XCBConnection>,
    pub(crate) scratch: RegionWrapper<&'c XCBConnection>,
    pub(crate) root_depth: u8,
    /// How the GL side is made, `auto` resolved (the import and present paths).
    pub(crate) gl_setup: GlSetup,
    pub(crate) session: ManagerSession<'c, XCBConnection>,
    pub(crate) conn: &'c XCBConnection,
    pub(crate) atoms: Atoms,
    pub(crate) model: WindowModel,
    pub(crate) damaged: HashSet<WindowId>,
    /// When each window's contents last changed (`frame::LIVE_FOR`).
    pub(crate) live: HashMap<WindowId, Instant>,
    pub(crate) pending_sync: Vec<(Window, u32)>,
    /// The window whose frames go straight to the screen (`compositor::unredirect`), if any.
    pub(crate) unredirected: Option<WindowId>,
    /// The candidate whose unredirection the server refused (`compositor::unredirect`).
    pub(crate) unredirect_refused: Option<WindowId>,
    /// Frames handed over by producers, when this compositor takes them.
    pub(crate) handoffs: Option<Handoffs>,
    pub(crate) options: Options,
    pub counters: Counters,
    pub stats: CompositorStats,
    pub(crate) hud: hud_state::HudState,
}

impl<'c> Compositor<'c> {
    pub fn new(conn: &'c XCBConnection, options: Options) -> Result<Self, CompositorError> {
        let session = ManagerSession::acquire(conn, options.screen_num, options.replace)?;
        let screen = &conn.setup().roots[options.screen_num];
        let (width, height) = (screen.width_in_pixels, screen.height_in_pixels);
        let root = screen.root;
        let atoms = Atoms::intern(conn)?;
        let probe = zcx_x11::probe::ServerProbe::probe(conn, options.screen_num, socket_kind(conn));
        let shm_usable = probe.as_ref().is_ok_and(|p| p.shm_usable());
        let shares_buffers = probe.as_ref().is_ok_and(|p| p.dri3.is_some())
            || x11rb::connection::RequestConnection::extension_information(conn, "DRI2")?.is_some();
        let server = ServerFacts {
            shm_usable,
            shares_buffers,
            dri3: probe.as_ref().is_ok_and(|p| p.dri3.is_some()),
        };
        let (strategy, gl_setup) = Strategy::start(conn, &options, session.overlay(), server)?;
        let counters = Counters {
            gl_contexts: u64::from(strategy.has_gl()),
            ..Counters::default()
        };
        let handoffs = start_handoffs(conn, &options, gl_setup.import, &session)?;
        let mut model = WindowModel::new(width.into(), height.into());
        model.set_layout(options.layout);
        model.set_decorations(options.decorations);
        model.ignore(session.overlay());
        model.ignore(session.selection_window());
        let mut this = Self {
            strategy,
            resources: HashMap::new(),
            background: RootBackground::new(options.background_rgb),
            scratch: RegionWrapper::create_region(conn, &[])?,
            root_depth: screen.root_depth,
            gl_setup,
            session,
            conn,
            atoms,
            model,
            damaged: HashSet::new(),
            live: HashMap::new(),
            pending_sync: Vec::new(),
            unredirected: None,
            unredirect_refused: None,
            handoffs,
            options,
            counters,
            stats: CompositorStats::new(),
            hud: Default::default(),
        };
        this.reload_background()?;
        this.adopt_existing(root)?;
        Ok(this)
    }

    /// Adopts the windows that exist already (root events are selected by the session), with
    /// their shapes: each window's own events are selected before it is queried.
    fn adopt_existing(&mut self, root: Window) -> Result<(), CompositorError> {
        let tree = self.conn.query_tree(root)?.reply()?;
        for &window in &tree.children {
            windows::select_window_events(self.conn, window)?;
        }
        let infos = windows::query_infos(self.conn, &self.atoms, &tree.children)?;
        for info in &infos {
            self.track(info)?;
        }
        self.model.add_existing(infos);
        self.read_new_producer_stats(&tree.children)
    }

    /// Reads the `_ZCX_STATS` of windows that just entered the model as producers: it may
    /// have been set before their property changes were selected, and it may not change again.
    pub(crate) fn read_new_producer_stats(
        &mut self,
        ids: &[WindowId],
    ) -> Result<(), CompositorError> {
        for &id in ids {
            if self.model.get(id).is_some_and(|w| w.info.producer) {
                self.stats_changed(id)?;
            }
        }
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

    /// Lets go of what GL and RENDER hold of `id`'s named pixmap (`Strategy`).
    pub(crate) fn release_pixmap_users(&mut self, id: WindowId) {
        self.strategy.release_pixmap_users(id);
    }

    pub(crate) fn untrack(&mut self, id: WindowId) {
        if let Some(h) = &mut self.handoffs {
            h.forget(id);
        }
        self.release_pixmap_users(id);
        self.strategy.drop_texture(TextureKey::Window(id));
        self.resources.remove(&id);
        self.damaged.remove(&id);
        self.live.remove(&id);
    }

    /// The pixmap that holds `id`'s contents now (`contents_pixmap`).
    pub(crate) fn contents_pixmap(&self, id: WindowId) -> Option<x11rb::protocol::xproto::Pixmap> {
        contents_pixmap(&self.resources, self.handoffs.as_ref(), id)
    }

    /// Whether a GL side is held now (`--stats-json`).
    pub fn gl_live(&self) -> bool {
        self.strategy.has_gl()
    }

    /// Frames taken and refused through the handoff (`--stats-json`).
    pub fn handoff_counts(&self) -> (u64, u64) {
        self.handoffs
            .as_ref()
            .map_or((0, 0), |h| (h.taken, h.refused))
    }

    /// The importer's and the present path's names (`--stats-json`).
    pub fn path_names(&self) -> (&'static str, &'static str, &'static str) {
        (
            self.gl_setup.import.name(),
            self.gl_setup.present.name(),
            self.strategy.mode().name(),
        )
    }

    /// Runs until a signal (readable `signals`), the loss of the selection, `--frames` or
    /// `--duration`.
    pub fn run(&mut self, signals: &UnixStream) -> Result<Exit, CompositorError> {
        let end = self.options.duration.map(|d| Instant::now() + d);
        let mut work = true;
        let mut frames_at_wake = None;
        loop {
            while let Some(event) = self.conn.poll_for_event()? {
                work = true;
                if let Some(exit) = self.handle_event(event)? {
                    return Ok(exit);
                }
            }
            if end.is_some_and(|t| Instant::now() >= t) {
                return Ok(Exit::DurationDone);
            }
            let now = Instant::now();
            if work
                || self.hud_refresh_due(now)
                || self.gl_idle_deadline().is_some_and(|t| now >= t)
            {
                work = false;
                self.refresh()?;
                if self
                    .options
                    .frames
                    .is_some_and(|n| self.stats.frames() >= n)
                {
                    return Ok(Exit::FramesDone);
                }
                self.conn.flush()?;
                // A busy screen never lets the loop sleep, so look for signals here too.
                if signal_pending(signals)? {
                    return Ok(Exit::Signal);
                }
                continue; // round trips may have queued events: drain before sleeping
            }
            if frames_at_wake.is_some_and(|f| f == self.stats.frames()) {
                self.stats.record_idle_wakeup();
            }
            self.conn.flush()?;
            if self.sleep(signals, end)? {
                return Ok(Exit::Signal);
            }
            frames_at_wake = Some(self.stats.frames());
        }
    }

    /// Sleeps in poll(2) until X traffic, a signal (returns true) or the next deadline.
    fn sleep(&self, signals: &UnixStream, end: Option<Instant>) -> Result<bool, CompositorError> {
        let wake = [end, self.hud_deadline(), self.gl_idle_deadline()]
            .into_iter()
            .flatten()
            .min();
        let timeout = match wake {
            None => PollTimeout::NONE,
            Some(t) => {
                let ms = t
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .saturating_add(1);
                PollTimeout::try_from(i32::try_from(ms).unwrap_or(i32::MAX))
                    .unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = [
            PollFd::new(self.conn.as_fd(), PollFlags::POLLIN),
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::Error::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(fds[1].revents().is_some_and(|r| !r.is_empty()))
    }
}

/// The pixmap that holds `id`'s contents now: the frame its producer handed over, else the
/// window's named pixmap (`None` while it has none: unmapped or not redirected).
pub(crate) fn contents_pixmap<C: Connection>(
    resources: &HashMap<WindowId, WindowResources<'_, C>>,
    handoffs: Option<&Handoffs>,
    id: WindowId,
) -> Option<x11rb::protocol::xproto::Pixmap> {
    let named = resources.get(&id)?.pixmap.as_ref()?.pixmap();
    Some(handoffs.and_then(|h| h.pixmap(id)).unwrap_or(named))
}

/// Whether SIGINT/SIGTERM has written to the signal pipe, without waiting.
fn signal_pending(signals: &UnixStream) -> Result<bool, CompositorError> {
    let mut fds = [PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
    match poll(&mut fds, PollTimeout::ZERO) {
        Ok(_) | Err(nix::Error::EINTR) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(fds[0].revents().is_some_and(|r| !r.is_empty()))
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

/// The handoff's advertisement, unless `--no-handoff` or the importer reads window pixmaps
/// themselves (then a handed pixmap would not be read).
fn start_handoffs(
    conn: &XCBConnection,
    options: &Options,
    import: ImportPath,
    session: &ManagerSession<'_, XCBConnection>,
) -> Result<Option<Handoffs>, CompositorError> {
    if !options.handoff {
        log::info!("handoff: off (--no-handoff): producers present their frames");
        return Ok(None);
    }
    if import.aliases_pixmaps() {
        log::info!(
            "handoff: off: the {} importer makes each window pixmap its texture, so a handed \
             pixmap would not be read",
            import.name()
        );
        return Ok(None);
    }
    Ok(Some(Handoffs::advertise(conn, session.selection_window())?))
}
