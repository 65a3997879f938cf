//! Server tuning.

use std::time::Duration;

/// Server timing and limits (defaults follow CometD's Java server).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long a lone `/meta/connect` is held (advice `timeout`).
    pub timeout: Duration,
    /// Advice `interval`: client wait between connects.
    pub interval: Duration,
    /// A session with no connect for this long after its last reply expires.
    pub max_interval: Duration,
    /// How often expired sessions are swept.
    pub sweep_every: Duration,
    /// Largest accepted request body; larger gets HTTP 413.
    pub max_body_bytes: usize,
    /// Most events queued per session; `deliver`/`publish` refuse beyond it.
    pub max_queue: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            interval: Duration::ZERO,
            max_interval: Duration::from_secs(10),
            sweep_every: Duration::from_millis(997),
            max_body_bytes: 1 << 20,
            max_queue: 10_000,
        }
    }
}
