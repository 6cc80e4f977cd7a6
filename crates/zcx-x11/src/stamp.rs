//! The public frame stamp: frame number and render-start time written into the first and last
//! pixel rows of every frame, so that observers outside the process can identify frames.
