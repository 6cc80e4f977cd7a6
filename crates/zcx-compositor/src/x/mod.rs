//! X plumbing: everything that speaks the X protocol about the session and its windows but
//! draws nothing. The manager's duties (selection, redirection, overlay, unredirecting one
//! window), the queries and resources of tracked windows, the root background pixmap, the
//! RENDER picture of the overlay, and the two small protocols the compositor answers
//! (`_ZCX_SYNC`, the frame handoff). It feeds the model and never reads the scene.

pub mod background;
pub mod handoff;
pub mod manager;
pub mod render;
pub mod sync_hook;
pub mod windows;
