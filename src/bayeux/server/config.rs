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
    /// Most live sessions in all; a handshake beyond it is refused. No cap
    /// by default: the host application sets one (the simulator does).
    pub max_sessions: usize,
    /// Most live sessions of one principal; a handshake beyond it is
    /// refused. Sessions without a principal count only in `max_sessions`.
    pub max_sessions_per_principal: usize,
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
            max_sessions: usize::MAX,
            max_sessions_per_principal: usize::MAX,
        }
    }
}
