//! What a client session may do beyond the protocol's own rules: the host
//! application's authorization (CometD calls it a security policy).

use std::sync::Arc;

use crate::bayeux::ChannelPattern;

/// Decides whether a client session may subscribe or publish where it asks.
/// The server checks the protocol first (no client subscribes to or
/// publishes on `/meta/**`); a policy only narrows what is left. A refusal
/// is a Bayeux reply with `successful: false` and a `403::` error, counted
/// in [`ServerStats`](super::ServerStats).
pub trait SecurityPolicy: Send + Sync {
    /// Whether the session of `principal` may subscribe to `subscription`.
    fn can_subscribe(&self, principal: Option<&Arc<str>>, subscription: &ChannelPattern) -> bool {
        let _ = (principal, subscription);
        true
    }

    /// Whether the session of `principal` may publish on `channel` (a
    /// concrete channel name, not `/meta/**`).
    fn can_publish(&self, principal: Option<&Arc<str>>, channel: &str) -> bool {
        let _ = (principal, channel);
        true
    }
}

/// Everything the protocol allows (the server's default).
#[derive(Debug, Default, Clone, Copy)]
pub struct OpenPolicy;

impl SecurityPolicy for OpenPolicy {}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::bayeux::server::{BayeuxServer, NoopListener, RequestContext, ServerConfig};
    use crate::bayeux::{Message, decode_messages};

    /// Subscribes to `/news/**` only, publishes on `/chat/**` only.
    struct Newsroom;

    impl SecurityPolicy for Newsroom {
        fn can_subscribe(&self, _: Option<&Arc<str>>, s: &ChannelPattern) -> bool {
            s.as_string().starts_with("/news/")
        }
        fn can_publish(&self, _: Option<&Arc<str>>, channel: &str) -> bool {
            channel.starts_with("/chat/")
        }
    }

    async fn send(server: &BayeuxServer, principal: &str, body: String) -> Vec<Message> {
        let ctx = RequestContext {
            principal: Some(Arc::from(principal)),
            browser: Some("b".into()),
        };
        let reply = server.handle(ctx, Bytes::from(body)).await;
        decode_messages(&reply.body).unwrap()
    }

    async fn handshake(server: &BayeuxServer, principal: &str) -> Message {
        let mut r = send(
            server,
            principal,
            r#"[{"channel":"/meta/handshake"}]"#.into(),
        )
        .await;
        r.remove(0)
    }

    #[tokio::test]
    async fn the_policy_decides_subscriptions_and_publishes() {
        let server = BayeuxServer::with_policy(
            ServerConfig::default(),
            Arc::new(NoopListener),
            Arc::new(Newsroom),
        );
        let id = handshake(&server, "u").await.client_id.unwrap();
        let sub = |s: &str| {
            format!(r#"[{{"channel":"/meta/subscribe","clientId":"{id}","subscription":"{s}"}}]"#)
        };
        let r = send(&server, "u", sub("/news/**")).await;
        assert_eq!(r[0].successful, Some(true), "{r:?}");
        let r = send(&server, "u", sub("/**")).await;
        assert_eq!(r[0].error.as_deref(), Some("403:/**:Subscription denied"));
        let publish =
            |c: &str| format!(r#"[{{"channel":"{c}","clientId":"{id}","data":{{"x":1}}}}]"#);
        let r = send(&server, "u", publish("/news/today")).await;
        assert_eq!(
            r[0].error.as_deref(),
            Some("403:/news/today:Publish denied")
        );
        let r = send(&server, "u", publish("/chat/room")).await;
        assert_eq!(r[0].successful, Some(true), "{r:?}");
        let stats = server.stats();
        assert_eq!((stats.denied_subscriptions, stats.denied_publishes), (1, 1));
    }

    #[tokio::test]
    async fn session_caps_count_per_principal_and_free_on_close() {
        let server = BayeuxServer::new(
            ServerConfig {
                max_sessions: 3,
                max_sessions_per_principal: 2,
                ..ServerConfig::default()
            },
            Arc::new(NoopListener),
        );
        let first = handshake(&server, "a").await;
        handshake(&server, "a").await;
        let refused = handshake(&server, "a").await;
        assert_eq!(refused.successful, Some(false));
        assert!(
            refused
                .error
                .unwrap()
                .starts_with("403::a holds 2 sessions")
        );
        assert_eq!(handshake(&server, "b").await.successful, Some(true));
        let full = handshake(&server, "c").await;
        assert!(full.error.unwrap().starts_with("403::the server holds 3"));
        assert!(server.forget(&first.client_id.unwrap()));
        assert_eq!(handshake(&server, "a").await.successful, Some(true));
        let stats = server.stats();
        assert_eq!((stats.sessions, stats.denied_handshakes), (3, 2));
    }
}
