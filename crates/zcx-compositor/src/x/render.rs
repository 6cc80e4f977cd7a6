//! RENDER plumbing shared by the server-side paths (`backend::server::hud`, `backend::server::scale`): the error
//! type of their set-up and requests, and the picture of the overlay window (the destination
//! of every server-side composite) in the format of the overlay's visual.

use x11rb::connection::Connection;
use x11rb::protocol::render::{
    CreatePictureAux, Pictformat, PictureWrapper, QueryPictFormatsReply,
};
use x11rb::protocol::xproto::{ConnectionExt as _, Window};
use zcx_x11::XError;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    X(#[from] XError),
    #[error("RENDER offers no {0} picture format")]
    NoFormat(&'static str),
    #[error("RENDER {0}.{1} lacks transforms, filters or padded edges (0.10 needed)")]
    OldRender(u32, u32),
}

zcx_x11::impl_from_x11rb!(RenderError);

/// The overlay's picture format and a picture of the overlay in it.
pub struct OverlayPicture<'c, C: Connection> {
    pub picture: PictureWrapper<&'c C>,
    pub format: Pictformat,
}

impl<'c, C: Connection> OverlayPicture<'c, C> {
    /// `formats` is RENDER's QueryPictFormats reply (callers need it for other formats too).
    pub fn new(
        conn: &'c C,
        overlay: Window,
        formats: &QueryPictFormatsReply,
    ) -> Result<Self, RenderError> {
        let visual = conn.get_window_attributes(overlay)?.reply()?.visual;
        let format = formats
            .screens
            .iter()
            .flat_map(|s| &s.depths)
            .flat_map(|d| &d.visuals)
            .find(|v| v.visual == visual)
            .map(|v| v.format)
            .ok_or(RenderError::NoFormat("overlay visual"))?;
        let picture =
            PictureWrapper::create_picture(conn, overlay, format, &CreatePictureAux::new())?;
        Ok(Self { picture, format })
    }
}
