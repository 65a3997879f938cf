//! REST and CometD paths of the GWS v2 agent API, relative to the base URL.

use super::channel::MediaChannel;

/// `GET` user info (`?subresources=*` for everything); `POST` session operations.
pub const ME: &str = "/api/v2/me";
/// `GET` the agent's channels and their states.
pub const CHANNELS: &str = "/api/v2/me/channels";
/// `GET` the server version (selects the message model).
pub const VERSION: &str = "/api/v2/diagnostics/version";
/// The CometD endpoint.
pub const NOTIFICATIONS: &str = "/api/v2/notifications";

/// `POST` Ready/NotReady on one channel.
pub fn channel(channel: MediaChannel) -> String {
    format!("{CHANNELS}/{}", channel.as_str())
}

/// `POST` an operation on one interaction (8.5.0/8.5.1 model).
pub fn interaction(id: &str) -> String {
    format!("/api/v2/me/interactions/{id}")
}

/// GMS: create an email in `service` (form-encoded).
pub fn gms_email(service: &str) -> String {
    format!("/genesys/2/email/{service}")
}

/// GMS: start a chat in `service` (form-encoded).
pub fn gms_chat(service: &str) -> String {
    format!("/genesys/2/chat/{service}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(channel(MediaChannel::Email), "/api/v2/me/channels/email");
        assert_eq!(interaction("X1"), "/api/v2/me/interactions/X1");
        assert_eq!(gms_chat("s"), "/genesys/2/chat/s");
    }
}
