//! zcx-compositor: a Composite/Damage compositing manager. X events feed the window
//! [`model`]; the [`scene`] module turns the model and the damage into a draw list (data);
//! the [`gl`] backend executes it off screen and a [`present`] path puts the repainted pixels on
//! the Composite overlay window. [`import`] holds the pixmap → texture importers, [`manager`]
//! the selection, redirection and overlay duties, [`sync_hook`] the test/tool sync protocol,
//! [`handoff`] the frames producers hand over instead of presenting them.

pub mod background;
pub mod composite;
pub mod compositor;
pub mod decor;
mod events;
mod frame;
pub mod gl;
pub mod handoff;
pub mod hud;
mod hud_state;
pub mod import;
pub mod import_dri3;
pub mod import_select;
pub mod layout;
pub mod manager;
pub mod model;
pub mod present;
pub mod region;
pub mod scene;
pub mod server_copy;
pub mod server_hud;
pub mod server_scale;
pub mod stats;
pub mod sync_hook;
pub mod unredirect;
pub mod xbackground;
pub mod xrender;
mod xunredirect;
pub mod xwindows;
