//! Building the importer `--import` names, or the one `import::choose_auto` picks from what
//! this server, connection and GL renderer offer (logged at info with the reason). A mode
//! the server or EGL lacks is refused with `ImportError::Unsupported` (exit status 2).

use x11rb::xcb_ffi::XCBConnection;

use crate::gl::egl_image::EglImageApi;
use crate::gl::GlContext;
use crate::import::{self, AutoFacts, ImportError, ImportMode, PixmapImporter};
use crate::import_dri3::{dri3_unsupported, Dri3Importer};
use crate::present::is_software_renderer;

/// What the server and connection offer (from the start-up probe).
#[derive(Clone, Copy, Debug)]
pub struct ServerFacts {
    pub shm_usable: bool,
    /// The server has DRI3 (any version).
    pub dri3: bool,
}

/// The importer for `mode` (`Auto` resolved first).
pub fn make_importer<'c>(
    conn: &'c XCBConnection,
    mode: ImportMode,
    server: ServerFacts,
    gl: &GlContext,
) -> Result<Box<dyn PixmapImporter + 'c>, ImportError> {
    let egl = EglImageApi::load(gl);
    let software_gl = is_software_renderer(&gl.renderer());
    let finish = || import::ServerFinish::new(conn, software_gl);
    let mode = match mode {
        ImportMode::Auto => {
            let offered = |f: fn(&EglImageApi) -> Result<(), String>| {
                egl.as_ref().is_ok_and(|api| f(api).is_ok())
            };
            let facts = AutoFacts {
                hardware_gl: !software_gl,
                dri3_usable: server.dri3 && offered(EglImageApi::dma_buf_images),
                egl_pixmap_usable: offered(EglImageApi::pixmap_images),
                shm_usable: server.shm_usable,
            };
            let (m, why) = import::choose_auto(facts);
            log::info!("--import auto chose {m:?}: {why}");
            m
        }
        m => m,
    };
    Ok(match mode {
        ImportMode::GetImage | ImportMode::Auto => Box::new(import::GetImageImporter::new(conn)),
        ImportMode::ShmGetImage if !server.shm_usable => {
            return Err(ImportError::Unsupported {
                mode: "shm-get-image",
                why:
                    "MIT-SHM is unusable on this connection (remote, or attaching a segment failed)"
                        .into(),
            })
        }
        // One page at first: the segment grows to what an import needs, and with
        // `server-copy` nothing may ever be imported.
        ImportMode::ShmGetImage => Box::new(import::ShmGetImageImporter::new(conn, 4096)?),
        ImportMode::EglPixmap => match egl.and_then(|api| api.pixmap_images().map(|()| api)) {
            Ok(api) => Box::new(import::EglPixmapImporter::new(api, finish())),
            Err(missing) => return Err(import::egl_pixmap_unsupported(missing)),
        },
        ImportMode::Dri3 => {
            let api = egl.map_err(dri3_unsupported)?;
            Box::new(Dri3Importer::new(conn, api, finish())?)
        }
    })
}
