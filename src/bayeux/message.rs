//! Bayeux wire messages (serde), advice and error strings.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One Bayeux message, request or reply. Absent fields are `None` and are
/// not serialized. `data` stays raw JSON so agents decode it lazily.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The channel (exactly one per message).
    pub channel: String,
    /// Server-made session id; in every message but the handshake request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Optional message id, echoed by replies (string, or a number from lax peers).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_lax_id"
    )]
    pub id: Option<String>,
    /// Protocol version (handshake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Oldest protocol version the sender accepts (handshake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_version: Option<String>,
    /// Connection types offered or accepted (handshake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supported_connection_types: Option<Vec<String>>,
    /// Connection type of a `/meta/connect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    /// Outcome of the request this message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful: Option<bool>,
    /// Channel(s) or pattern(s) of a subscribe/unsubscribe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Subscription>,
    /// Application payload of a publish or delivered event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<RawValue>>,
    /// `code:args:message` error string of a failed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Reconnect advice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<Advice>,
    /// Extension data keyed by extension name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext: Option<serde_json::Value>,
}

impl Message {
    /// A message on `channel` with every other field absent.
    pub fn new(channel: impl Into<String>) -> Self {
        Self {
            channel: channel.into(),
            ..Self::default()
        }
    }

    /// The parsed `error` field, if any.
    pub fn error_info(&self) -> Option<ErrorInfo<'_>> {
        self.error.as_deref().map(ErrorInfo::parse)
    }

    /// Whether this is a delivered event (not a reply to a request).
    pub fn is_event(&self) -> bool {
        self.data.is_some() && self.successful.is_none() && !self.channel.starts_with("/meta/")
    }
}

/// `subscription`: one channel/pattern or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Subscription {
    /// A single channel or pattern.
    One(String),
    /// Several channels or patterns.
    Many(Vec<String>),
}

impl Subscription {
    /// The channels or patterns as a slice.
    pub fn as_slice(&self) -> &[String] {
        match self {
            Subscription::One(s) => std::slice::from_ref(s),
            Subscription::Many(v) => v,
        }
    }
}

/// What the server tells a client to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reconnect {
    /// Send the next `/meta/connect` after `interval`.
    Retry,
    /// Handshake again (new clientId) and re-subscribe.
    Handshake,
    /// Stop: no retry, no handshake.
    None,
    /// A value this implementation does not know; treated as `retry`.
    #[serde(other)]
    Unknown,
}

/// Reconnect advice; newer advice supersedes older advice field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Advice {
    /// What to do after this reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnect: Option<Reconnect>,
    /// Minimum wait before the next connect, ms (negative: do not retry).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_lax_ms"
    )]
    pub interval: Option<i64>,
    /// How long the server holds a connect, ms.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_lax_ms"
    )]
    pub timeout: Option<i64>,
    /// How long the server keeps a client that sends no connect, ms.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_lax_ms"
    )]
    pub max_interval: Option<i64>,
    /// The server saw several clients in one browser (one cookie).
    #[serde(
        default,
        rename = "multiple-clients",
        skip_serializing_if = "Option::is_none"
    )]
    pub multiple_clients: Option<bool>,
}

impl Advice {
    /// Overlays the fields `newer` carries on this advice.
    pub fn update(&mut self, newer: &Advice) {
        if newer.reconnect.is_some() {
            self.reconnect = newer.reconnect;
        }
        if newer.interval.is_some() {
            self.interval = newer.interval;
        }
        if newer.timeout.is_some() {
            self.timeout = newer.timeout;
        }
        if newer.max_interval.is_some() {
            self.max_interval = newer.max_interval;
        }
        if newer.multiple_clients.is_some() {
            self.multiple_clients = newer.multiple_clients;
        }
    }
}

/// A parsed `code:args:message` error string, e.g. `402::Unknown client` or
/// `401:abc123:Unknown client`. Lenient: text without colons is all message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo<'a> {
    /// Numeric code, when the string starts with one.
    pub code: Option<u16>,
    /// Comma-separated arguments (possibly empty).
    pub args: Vec<&'a str>,
    /// Human-readable message.
    pub message: &'a str,
}

impl<'a> ErrorInfo<'a> {
    /// Parses an error string; never fails.
    pub fn parse(text: &'a str) -> Self {
        let mut parts = text.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(code), Some(args), Some(message)) => match code.trim().parse::<u16>() {
                Ok(code) => ErrorInfo {
                    code: Some(code),
                    args: if args.is_empty() {
                        Vec::new()
                    } else {
                        args.split(',').collect()
                    },
                    message,
                },
                Err(_) => Self::plain(text),
            },
            _ => Self::plain(text),
        }
    }

    fn plain(text: &'a str) -> Self {
        ErrorInfo {
            code: None,
            args: Vec::new(),
            message: text,
        }
    }
}

/// Decodes a request or reply body: a JSON array of messages or a single
/// message object.
pub fn decode_messages(body: &[u8]) -> Result<Vec<Message>, serde_json::Error> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        serde_json::from_slice::<Message>(body).map(|m| vec![m])
    } else {
        serde_json::from_slice(body)
    }
}

fn de_lax_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lax {
        S(String),
        N(serde_json::Number),
    }
    Ok(match Option::<Lax>::deserialize(d)? {
        None => None,
        Some(Lax::S(s)) => Some(s),
        Some(Lax::N(n)) => Some(n.to_string()),
    })
}

fn de_lax_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| de::Error::custom("advice value out of range")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_array_and_single_object() {
        let arr = br#"[{"channel":"/meta/connect","successful":true,"advice":{"reconnect":"retry","interval":0,"timeout":30000.0}},
            {"channel":"/v2/me/channels","data":{"x":[1,2]}}]"#;
        let msgs = decode_messages(arr).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].advice.as_ref().unwrap().timeout, Some(30000));
        assert!(msgs[1].is_event());
        assert_eq!(msgs[1].data.as_ref().unwrap().get(), r#"{"x":[1,2]}"#);
        let one =
            decode_messages(br#" {"channel":"/meta/handshake","id":7,"subscription":["/a","/b"]}"#)
                .unwrap();
        assert_eq!(one[0].id.as_deref(), Some("7"));
        assert_eq!(one[0].subscription.as_ref().unwrap().as_slice().len(), 2);
    }

    #[test]
    fn rejects_wrong_types() {
        assert!(decode_messages(br#"[{"channel":5}]"#).is_err());
        assert!(decode_messages(br#"[{"successful":true}]"#).is_err());
        assert!(decode_messages(b"nope").is_err());
        assert!(decode_messages(br#"[{"channel":"/a","advice":{"timeout":"x"}}]"#).is_err());
    }

    #[test]
    fn unknown_reconnect_is_tolerated_and_advice_supersedes() {
        let m = &decode_messages(
            br#"[{"channel":"/meta/connect","advice":{"reconnect":"weird","interval":5}}]"#,
        )
        .unwrap()[0];
        let mut a = Advice {
            reconnect: Some(Reconnect::Retry),
            timeout: Some(30000),
            ..Advice::default()
        };
        a.update(m.advice.as_ref().unwrap());
        assert_eq!(a.reconnect, Some(Reconnect::Unknown));
        assert_eq!(a.interval, Some(5));
        assert_eq!(a.timeout, Some(30000));
    }

    #[test]
    fn parses_error_strings() {
        let e = ErrorInfo::parse("402::Unknown client");
        assert_eq!(
            (e.code, e.args.len(), e.message),
            (Some(402), 0, "Unknown client")
        );
        let e = ErrorInfo::parse("403:abc,/foo:Subscription denied");
        assert_eq!(e.args, vec!["abc", "/foo"]);
        let e = ErrorInfo::parse("something broke");
        assert_eq!((e.code, e.message), (None, "something broke"));
    }

    #[test]
    fn serializes_only_present_fields() {
        let mut m = Message::new("/meta/connect");
        m.client_id = Some("c1".into());
        m.advice = Some(Advice {
            timeout: Some(0),
            ..Advice::default()
        });
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"channel":"/meta/connect","clientId":"c1","advice":{"timeout":0}}"#
        );
    }
}
