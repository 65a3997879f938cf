//! Extensions: hooks on every message the client sends and receives, where
//! Bayeux extensions read and write `ext` (acknowledgement, timesync,
//! replay, per-message tokens). The acknowledgement extension is built in.

use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use super::ClientConfig;
use crate::bayeux::message::Message;

/// A client-side Bayeux extension. Both hooks default to doing nothing.
/// Called inline on the agent's task: keep them cheap.
pub trait Extension: Send + Sync + std::fmt::Debug {
    /// Sees every message about to be sent (handshake, connects, subscribes,
    /// publishes, disconnect), in order, before it is encoded.
    fn outgoing(&self, message: &mut Message) {
        let _ = message;
    }
    /// Sees every message received (replies and delivered events), in
    /// order, before the client reads it.
    fn incoming(&self, message: &mut Message) {
        let _ = message;
    }
}

/// The extensions of one client: the built-in acknowledgement first, then
/// the configured ones. Outgoing messages pass them in that order, incoming
/// ones in reverse (as in CometD's own client).
#[derive(Debug)]
pub(super) struct Extensions {
    ack: Option<Ack>,
    configured: Vec<Arc<dyn Extension>>,
}

impl Extensions {
    /// What `config` asks for; the acknowledgement state is this client's own.
    pub(super) fn new(config: &ClientConfig) -> Self {
        Self {
            ack: config.ack.then(Ack::default),
            configured: config.extensions.clone(),
        }
    }

    pub(super) fn outgoing(&self, messages: &mut [Message]) {
        if self.ack.is_none() && self.configured.is_empty() {
            return;
        }
        for m in messages {
            if let Some(ack) = &self.ack {
                ack.outgoing(m);
            }
            for e in &self.configured {
                e.outgoing(m);
            }
        }
    }

    pub(super) fn incoming(&self, message: &mut Message) {
        for e in self.configured.iter().rev() {
            e.incoming(message);
        }
        if let Some(ack) = &self.ack {
            ack.incoming(message);
        }
    }
}

/// CometD's acknowledged-messages extension, client side: asks for it at
/// handshake (`ext.ack: true`); when the server agrees, every connect
/// returns the batch number of the last connect reply (`ext.ack: n`), so the
/// server drops what was delivered instead of sending it again.
#[derive(Debug, Default)]
struct Ack {
    state: Mutex<AckState>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct AckState {
    /// The handshake reply agreed (`ext.ack: true`).
    server_acks: bool,
    /// The batch of the last successful connect reply.
    batch: u64,
}

impl Ack {
    fn outgoing(&self, m: &mut Message) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match m.channel.as_str() {
            "/meta/handshake" => {
                // A new session: nothing acknowledged, agreement to be asked.
                *st = AckState::default();
                ext_object(m).insert("ack".into(), Value::Bool(true));
            }
            "/meta/connect" if st.server_acks => {
                ext_object(m).insert("ack".into(), st.batch.into());
            }
            _ => {}
        }
    }

    fn incoming(&self, m: &Message) {
        let ack = m.ext.as_ref().and_then(|e| e.get("ack"));
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match m.channel.as_str() {
            "/meta/handshake" if m.successful == Some(true) => {
                st.server_acks = ack.is_some_and(agrees);
            }
            "/meta/connect" if m.successful == Some(true) && st.server_acks => {
                if let Some(batch) = ack.and_then(Value::as_u64) {
                    st.batch = batch;
                }
            }
            _ => {}
        }
    }
}

/// `ack: true`, or `ack: {enabled: true, ...}` (newer CometD servers).
fn agrees(ack: &Value) -> bool {
    match ack {
        Value::Bool(b) => *b,
        Value::Object(o) => o.get("enabled") == Some(&Value::Bool(true)),
        _ => false,
    }
}

/// The message's `ext` object, made one if absent or not an object (a
/// non-object `ext` has no room for extension fields).
fn ext_object(m: &mut Message) -> &mut Map<String, Value> {
    let ext = m.ext.get_or_insert_with(|| Value::Object(Map::new()));
    if !ext.is_object() {
        *ext = Value::Object(Map::new());
    }
    match ext {
        Value::Object(o) => o,
        _ => unreachable!("made an object above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(channel: &str, successful: Option<bool>, ext: Option<Value>) -> Message {
        let mut m = Message::new(channel);
        m.successful = successful;
        m.ext = ext;
        m
    }

    fn ack_of(m: &Message) -> Option<&Value> {
        m.ext.as_ref().and_then(|e| e.get("ack"))
    }

    /// The `ext.ack` of the next connect going out; `None` when it has no `ext`.
    fn connect_ack(ack: &Ack) -> Option<Value> {
        let mut c = message("/meta/connect", None, None);
        ack.outgoing(&mut c);
        c.ext.map(|e| e["ack"].clone())
    }

    #[test]
    fn ack_is_asked_at_handshake_beside_other_handshake_ext() {
        let ack = Ack::default();
        let mut hs = message("/meta/handshake", None, Some(json!({"auth": "t"})));
        ack.outgoing(&mut hs);
        assert_eq!(hs.ext, Some(json!({"auth": "t", "ack": true})));
        let mut bare = message("/meta/handshake", None, None);
        ack.outgoing(&mut bare);
        assert_eq!(bare.ext, Some(json!({"ack": true})));
    }

    #[test]
    fn connects_return_the_last_batch_once_the_server_agreed() {
        let ack = Ack::default();
        ack.outgoing(&mut message("/meta/handshake", None, None));
        // Before the server agreed, connects carry nothing.
        assert_eq!(connect_ack(&ack), None);
        ack.incoming(&message(
            "/meta/handshake",
            Some(true),
            Some(json!({"ack": true})),
        ));
        assert_eq!(connect_ack(&ack), Some(json!(0)));
        ack.incoming(&message(
            "/meta/connect",
            Some(true),
            Some(json!({"ack": 7})),
        ));
        // An event or a failed connect leaves the batch alone.
        ack.incoming(&message("/a", None, Some(json!({"ack": 99}))));
        ack.incoming(&message(
            "/meta/connect",
            Some(false),
            Some(json!({"ack": 98})),
        ));
        assert_eq!(connect_ack(&ack), Some(json!(7)));
        // Other messages are not touched.
        let mut p = message("/a", None, None);
        ack.outgoing(&mut p);
        assert_eq!(p.ext, None);
        // A new handshake starts over.
        ack.outgoing(&mut message("/meta/handshake", None, None));
        assert_eq!(connect_ack(&ack), None);
    }

    #[test]
    fn a_server_without_the_extension_gets_no_acks() {
        let ack = Ack::default();
        for reply in [None, Some(json!({})), Some(json!({"ack": false}))] {
            ack.outgoing(&mut message("/meta/handshake", None, None));
            ack.incoming(&message("/meta/handshake", Some(true), reply));
            assert_eq!(connect_ack(&ack), None);
        }
        ack.incoming(&message(
            "/meta/handshake",
            Some(true),
            Some(json!({"ack": {"enabled": true, "size": 10}})),
        ));
        assert_eq!(connect_ack(&ack), Some(json!(0)));
    }

    #[derive(Debug, Default)]
    struct Tag(Mutex<Vec<String>>);

    impl Extension for Tag {
        fn outgoing(&self, m: &mut Message) {
            // Sees what the ack extension wrote before it.
            let acked = ack_of(m).is_some();
            ext_object(m).insert("tag".into(), json!(acked));
        }
        fn incoming(&self, m: &mut Message) {
            self.0.lock().unwrap().push(m.channel.clone());
            m.ext = None;
        }
    }

    #[test]
    fn configured_extensions_see_every_message_after_the_ack_going_out_and_before_it_coming_in() {
        let tag = Arc::new(Tag::default());
        let mut config = ClientConfig::new("http://127.0.0.1/cometd".parse().unwrap());
        config.ack = true;
        config.extensions = vec![tag.clone()];
        let exts = Extensions::new(&config);
        let mut out = [
            message("/meta/handshake", None, None),
            message("/a", None, None),
        ];
        exts.outgoing(&mut out);
        assert_eq!(out[0].ext, Some(json!({"ack": true, "tag": true})));
        assert_eq!(out[1].ext, Some(json!({"tag": false})));
        // The configured one strips ext before the ack extension sees it.
        let mut hs = message("/meta/handshake", Some(true), Some(json!({"ack": true})));
        exts.incoming(&mut hs);
        let mut c = message("/meta/connect", None, None);
        exts.outgoing(std::slice::from_mut(&mut c));
        assert_eq!(ack_of(&c), None);
        assert_eq!(*tag.0.lock().unwrap(), vec!["/meta/handshake"]);
    }

    #[test]
    fn no_extension_leaves_messages_alone() {
        let config = ClientConfig::new("http://127.0.0.1/cometd".parse().unwrap());
        let exts = Extensions::new(&config);
        let mut out = [message("/meta/connect", None, None)];
        exts.outgoing(&mut out);
        assert_eq!(out[0].ext, None);
    }
}
