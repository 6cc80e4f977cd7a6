//! zcx-compositor: a Composite/Damage compositing manager. X events feed the window
//! [`model`]; the [`scene`] module turns the model and the damage into a draw list (data);
//! the GL backend executes it and a present path puts the repainted pixels on the overlay.

pub mod model;
pub mod region;
pub mod scene;
