//! `zcx probe`: what a display supports for frame transport and import: the server probe of
//! zcx-x11 (extensions, shared pixmaps, local or remote), DRI3, the GL renderer and the GLX/EGL
//! extensions importers need (from `glxinfo` and `eglinfo` when installed; the report says how
//! each figure was obtained), and which producer modes and compositor importers work here.

use std::time::Duration;

use serde::Serialize;
use thiserror::Error;
use zcx_producer::transport::Mode;
use zcx_x11::probe::ServerProbe;

use crate::tools::run_capture;

/// Extensions whose presence decides an importer.
pub const EGL_IMPORT_EXTENSIONS: [&str; 3] = [
    "EGL_KHR_image_pixmap",
    "EGL_EXT_image_dma_buf_import",
    "EGL_MESA_image_dma_buf_export",
];
pub const GLX_IMPORT_EXTENSIONS: [&str; 1] = ["GLX_EXT_texture_from_pixmap"];

const TOOL_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Error)]
pub enum ProbeError {
    #[error(transparent)]
    Connect(#[from] zcx_x11::ConnectError),
    #[error("probing the X server: {0}")]
    Probe(#[from] zcx_x11::XError),
}

zcx_x11::impl_from_x11rb!(ProbeError);

/// Whether something works here, and why not.
#[derive(Debug, Clone, Serialize)]
pub struct Availability {
    pub name: String,
    pub available: bool,
    pub reason: Option<String>,
}

/// The GL side, as far as the installed tools could tell.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GlInfo {
    /// How the figures below were obtained, or why they are missing.
    pub source: Vec<String>,
    pub renderer: Option<String>,
    pub version: Option<String>,
    pub direct_rendering: Option<bool>,
    /// Each extension of [`GLX_IMPORT_EXTENSIONS`] and whether the server/client offer it.
    pub glx: Vec<(String, bool)>,
    /// Each of [`EGL_IMPORT_EXTENSIONS`] on EGL's X11 platform.
    pub egl_x11: Vec<(String, bool)>,
}

/// Everything `zcx probe` prints.
#[derive(Debug, Clone, Serialize)]
pub struct DisplayReport {
    pub display: String,
    pub server: ServerProbe,
    pub dri3: bool,
    pub gl: GlInfo,
    pub modes: Vec<Availability>,
    pub importers: Vec<Availability>,
}

/// Probes `display` (or `$DISPLAY`).
pub fn probe_display(display: Option<&str>) -> Result<DisplayReport, ProbeError> {
    let c = zcx_x11::connect(display)?;
    let server = ServerProbe::probe(&c.conn, c.screen_num, c.socket)?;
    let gl = gl_info(&c.display);
    let modes = Mode::ALL
        .iter()
        .map(|m| {
            let reason = m.unavailable_reason(&server);
            Availability {
                name: m.name().to_owned(),
                available: reason.is_none(),
                reason,
            }
        })
        .collect();
    let importers = importers(&server, &gl);
    Ok(DisplayReport {
        display: c.display.clone(),
        dri3: server.dri3.is_some(),
        server,
        gl,
        modes,
        importers,
    })
}

/// GL renderer and import extensions from `glxinfo` and `eglinfo`.
pub fn gl_info(display: &str) -> GlInfo {
    let mut gl = GlInfo::default();
    match run_capture("glxinfo", &[], Some(display), TOOL_TIMEOUT, false) {
        Ok(out) => {
            gl.source.push("glxinfo".into());
            gl.renderer = field(&out, "OpenGL renderer string:");
            gl.version = field(&out, "OpenGL version string:");
            gl.direct_rendering = field(&out, "direct rendering:").map(|v| v == "Yes");
            gl.glx = has_each(&out, &GLX_IMPORT_EXTENSIONS);
        }
        Err(e) => gl
            .source
            .push(format!("no GLX figures: {e} (Debian: mesa-utils)")),
    }
    match run_capture("eglinfo", &[], Some(display), TOOL_TIMEOUT, true) {
        Ok(out) => {
            gl.source.push("eglinfo (X11 platform section)".into());
            gl.egl_x11 = has_each(
                &platform_section(&out, "X11 platform:"),
                &EGL_IMPORT_EXTENSIONS,
            );
        }
        Err(e) => gl
            .source
            .push(format!("no EGL figures: {e} (Debian: mesa-utils-bin)")),
    }
    gl
}

/// The text after `key` on its line, trimmed.
pub fn field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()))
}

/// The lines of one `eglinfo` platform section (up to the next `… platform:` header).
pub fn platform_section(text: &str, header: &str) -> String {
    let mut lines = text.lines().skip_while(|l| l.trim() != header);
    let mut out: Vec<&str> = lines.next().into_iter().collect();
    out.extend(lines.take_while(|l| !l.trim_end().ends_with("platform:")));
    out.join("\n")
}

fn has_each(text: &str, names: &[&str]) -> Vec<(String, bool)> {
    let words: std::collections::HashSet<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .collect();
    names
        .iter()
        .map(|n| ((*n).to_owned(), words.contains(n)))
        .collect()
}

fn importers(server: &ServerProbe, gl: &GlInfo) -> Vec<Availability> {
    let egl = |name: &str| gl.egl_x11.iter().any(|(n, ok)| n == name && *ok);
    let row = |name: &str, reason: Option<String>| Availability {
        name: name.to_owned(),
        available: reason.is_none(),
        reason,
    };
    let composite = server
        .composite
        .is_none()
        .then(|| "no Composite extension".to_owned());
    vec![
        row("get-image", composite.clone()),
        row(
            "shm-get-image",
            composite.clone().or_else(|| {
                (!server.shm_usable()).then(|| "MIT-SHM is not usable on this connection".into())
            }),
        ),
        row(
            "egl-pixmap",
            composite.clone().or_else(|| {
                (!egl("EGL_KHR_image_pixmap"))
                    .then(|| "EGL has no EGL_KHR_image_pixmap on X11 here (e.g. Xvfb)".into())
            }),
        ),
        row(
            "dri3",
            composite.or_else(
                || match (&server.dri3, egl("EGL_EXT_image_dma_buf_import")) {
                    (None, _) => Some("the server has no DRI3 (e.g. Xvfb)".into()),
                    (_, false) => Some("EGL has no EGL_EXT_image_dma_buf_import on X11".into()),
                    _ => None,
                },
            ),
        ),
    ]
}

/// The human-readable form of a report.
pub fn render_text(r: &DisplayReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let s_ = &mut s;
    let v = |v: Option<zcx_x11::probe::Version>| v.map_or("absent".to_owned(), |v| v.to_string());
    let _ = writeln!(s_, "display      {} ({:?})", r.display, r.server.socket);
    let _ = writeln!(
        s_,
        "server       {} release {}",
        r.server.vendor, r.server.release
    );
    let _ = writeln!(
        s_,
        "screen       {}x{} depth {}, max request {} bytes",
        r.server.screen_width,
        r.server.screen_height,
        r.server.root_depth,
        r.server.max_request_bytes
    );
    let shm = r.server.shm.as_ref().map_or("absent".to_owned(), |i| {
        format!(
            "{} (shared pixmaps {}, fd passing {}, trial attach {})",
            i.version,
            i.shared_pixmaps,
            i.fd_passing,
            i.trial_attach
                .as_ref()
                .map_or_else(ToString::to_string, |()| "ok".into())
        )
    });
    let _ = writeln!(s_, "MIT-SHM      {shm}");
    let _ = writeln!(
        s_,
        "Present {}, DRI3 {}, Composite {}, Damage {}, XFixes {}, RandR {}",
        v(r.server.present),
        v(r.server.dri3),
        v(r.server.composite),
        v(r.server.damage),
        v(r.server.xfixes),
        v(r.server.randr)
    );
    render_gl_and_paths(s_, r);
    s
}

/// The GL renderer, its import extensions, and which modes and importers work.
fn render_gl_and_paths(s_: &mut String, r: &DisplayReport) {
    use std::fmt::Write as _;
    let _ = writeln!(
        s_,
        "GL renderer  {} ({})",
        r.gl.renderer.as_deref().unwrap_or("unknown"),
        r.gl.version.as_deref().unwrap_or("?")
    );
    for (name, ok) in r.gl.glx.iter().chain(&r.gl.egl_x11) {
        let _ = writeln!(s_, "  {name:<32} {}", if *ok { "yes" } else { "no" });
    }
    let _ = writeln!(s_, "  (obtained via: {})", r.gl.source.join("; "));
    for (title, rows) in [("producer modes", &r.modes), ("importers", &r.importers)] {
        let _ = writeln!(s_, "{title}:");
        for a in rows {
            let state = a
                .reason
                .as_deref()
                .map_or("works here".to_owned(), |w| format!("no: {w}"));
            let _ = writeln!(s_, "  {:<14} {state}", a.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EGLINFO: &str = "EGL client extensions string:\n    EGL_KHR_platform_x11\n\
        GBM platform:\n    EGL_KHR_image_pixmap\nX11 platform:\nEGL extensions string:\n    \
        EGL_EXT_image_dma_buf_import EGL_KHR_image_base\nSurfaceless platform:\n    \
        EGL_KHR_image_pixmap\n";

    #[test]
    fn egl_section_is_only_the_x11_platform() {
        let sec = platform_section(EGLINFO, "X11 platform:");
        let found = has_each(&sec, &EGL_IMPORT_EXTENSIONS);
        assert_eq!(found[0], ("EGL_KHR_image_pixmap".to_owned(), false));
        assert_eq!(found[1], ("EGL_EXT_image_dma_buf_import".to_owned(), true));
        assert_eq!(platform_section("nothing", "X11 platform:"), "");
    }

    #[test]
    fn glxinfo_fields() {
        let out = "direct rendering: Yes\n    OpenGL renderer string: llvmpipe (LLVM 15)\n\
                   GLX_EXT_texture_from_pixmap, GLX_EXT_visual_info,\n";
        assert_eq!(
            field(out, "OpenGL renderer string:").as_deref(),
            Some("llvmpipe (LLVM 15)")
        );
        assert_eq!(field(out, "direct rendering:").as_deref(), Some("Yes"));
        assert!(has_each(out, &GLX_IMPORT_EXTENSIONS)[0].1);
    }
}
