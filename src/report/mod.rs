//! TODO(skeleton)

pub mod svg;
