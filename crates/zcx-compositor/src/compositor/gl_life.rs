//! The life of the server-copy strategy's GL side: made when a GL part first needs it (a
//! translucent or ARGB window, a shadow, a window the server cannot copy or scale, a HUD panel
//! to draw), dropped after [`GL_IDLE`] without one. A screen of opaque windows then holds no GL
//! context, composition target, textures or present segment. The GL libraries (Mesa, LLVM)
//! stay mapped once a context has loaded them: dropping the side frees what it allocated, not
//! the code. A new side has no textures, so everything GL reads is imported again.

use std::time::{Duration, Instant};

use super::strategy::Strategy;
use super::{Compositor, CompositorError};

/// How long the server-copy strategy keeps a GL side that nothing needs.
pub(crate) const GL_IDLE: Duration = Duration::from_secs(3);

impl Compositor<'_> {
    /// Makes sure a GL side exists for a GL part needed `now` (the GL strategy always has one).
    pub(crate) fn ensure_gl(&mut self, now: Instant) -> Result<(), CompositorError> {
        let Strategy::ServerCopy(server) = &mut self.strategy else {
            return Ok(());
        };
        server.gl_used_at = now;
        if server.gl.is_some() {
            return Ok(());
        }
        let screen = self.model.screen();
        let mut gl = self
            .gl_setup
            .make(self.conn, None, (screen.width, screen.height))?;
        self.hud.upload_panels(gl.renderer.hud_mut())?;
        server.gl = Some(gl);
        self.counters.gl_contexts += 1;
        log::info!(
            "GL side made ({}x{} target, {} import, {} present): a GL part is on the screen",
            screen.width,
            screen.height,
            self.gl_setup.import.name(),
            self.gl_setup.present.name()
        );
        self.model.forget_imports();
        self.background.forget_imports();
        self.make_background_texture();
        Ok(())
    }

    /// When the server-copy strategy's GL side will have been idle for [`GL_IDLE`].
    pub(crate) fn gl_idle_deadline(&self) -> Option<Instant> {
        match &self.strategy {
            Strategy::ServerCopy(s) if s.gl.is_some() => Some(s.gl_used_at + GL_IDLE),
            _ => None,
        }
    }

    /// Drops the GL side once nothing has needed it for [`GL_IDLE`].
    pub(crate) fn drop_idle_gl(&mut self, now: Instant) {
        if self.gl_idle_deadline().is_none_or(|t| now < t) {
            return;
        }
        if let Some(server) = self.strategy.server_mut() {
            server.gl = None;
            // The driver's freed buffers stay in glibc's heap otherwise (about 10 MB of a 4K
            // GL side, measured).
            #[cfg(target_env = "gnu")]
            // SAFETY: malloc_trim only hands free heap pages back to the kernel.
            unsafe {
                nix::libc::malloc_trim(0);
            }
            log::info!(
                "GL side dropped: no GL part for {GL_IDLE:?} (its target, textures and present \
                 segment are freed; the GL libraries stay mapped)"
            );
        }
    }
}
