//! Live progress view.
