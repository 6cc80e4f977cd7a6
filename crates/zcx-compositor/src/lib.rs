//! zcx-compositor: a Composite/Damage compositing manager. The folders follow the data flow:
//! X events ([`x`], dispatched by [`compositor`]) feed the window [`model`] (pure data); the
//! [`scene`] turns the model and the damage into a draw list (data) and splits it between the
//! two [`backend`]s: the X server copies what it can (`backend::server`), OpenGL composites the
//! rest off screen and a present path puts it on the Composite overlay (`backend::gl`).
//! [`compositor`] owns the struct that holds it all, the event loop and one frame. `region`
//! (rectangle arithmetic) and `stats` (frame statistics) are leaves every stage may use.
//! `model` and `scene` use neither x11rb nor glow; `x` draws nothing; no folder needs a
//! folder above it.

pub mod backend;
pub mod compositor;
pub mod model;
pub mod region;
pub mod scene;
pub mod stats;
pub mod x;
