//! Why the compositor could not start or stopped with an error, and which of those are
//! refusals (exit status 2) rather than failures.

use zcx_x11::XError;

use crate::backend::gl::import::ImportError;
use crate::backend::gl::present::PresentError;
use crate::backend::gl::GlError;
use crate::backend::server::copy::ServerCopyError;
use crate::x::manager::ManagerError;
use crate::x::render::RenderError;

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
    #[error(transparent)]
    ServerCopy(#[from] ServerCopyError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    X(#[from] XError),
    #[error("the X connection has no xcb connection behind it, which EGL needs")]
    NoXcbConnection,
    #[error("waiting for events: {0}")]
    Poll(#[from] nix::Error),
}

impl CompositorError {
    /// Whether what was asked cannot be done here (another compositing manager, an extension,
    /// importer or present path this server or these options lack) rather than failed: exit
    /// status 2 (README "Exit status").
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Manager(
                ManagerError::AlreadyRunning { .. }
                    | ManagerError::RedirectRefused { .. }
                    | ManagerError::MissingExtension(_)
            ) | Self::Import(ImportError::Unsupported { .. })
                | Self::Usage(_)
        )
    }
}

zcx_x11::impl_from_x11rb!(CompositorError);
