//! `scenario` and `[bayeux]`: what the run's clients do. The default is the
//! GWS agent flow; `scenario = "bayeux"` is a publish/subscribe load against
//! any Bayeux server (CometD, Faye): subscribers in rooms, publishers on a
//! schedule. `[bayeux] ack` applies to both.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::validate::{Issue, issue};
use super::{ArrivalKind, Profile};
use crate::metrics::Measure;

/// What the run's clients do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// GWS agents: log in, start a session, go Ready, answer invites.
    #[default]
    Gws,
    /// Bayeux subscribers in rooms and publishers publishing to them;
    /// `--target` is the Bayeux endpoint itself.
    Bayeux,
}

impl Scenario {
    /// The measurement whose first sample says a client got going: a
    /// session started (a GWS agent logged in) or a subscribe (a pub/sub
    /// subscriber joined its rooms).
    pub fn joined(self) -> Measure {
        match self {
            Scenario::Gws => Measure::SessionStart,
            Scenario::Bayeux => Measure::Subscribe,
        }
    }

    /// True for the GWS agent flow (left out of a written profile).
    pub fn is_gws(&self) -> bool {
        *self == Scenario::Gws
    }
}

/// How a subscriber's rooms are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Subscriber `i` takes rooms `i*k .. i*k+k` (mod `rooms`): rooms fill evenly.
    #[default]
    Fixed,
    /// `k` distinct rooms drawn per subscriber from the run's seed.
    Random,
}

impl std::fmt::Display for Assignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Assignment::Fixed => "fixed",
            Assignment::Random => "random",
        })
    }
}

/// Which room a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomChoice {
    /// Message `n` goes to room `n mod rooms`.
    #[default]
    RoundRobin,
    /// A room drawn per message from the run's seed.
    Random,
}

impl std::fmt::Display for RoomChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RoomChoice::RoundRobin => "round_robin",
            RoomChoice::Random => "random",
        })
    }
}

/// `[bayeux]`: the Bayeux clients' options and the pub/sub scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BayeuxSettings {
    /// CometD's acknowledged-messages extension (`ext: {ack: true}`), both scenarios.
    pub ack: bool,
    /// The room channel template; `{room}` becomes the room number (0-based).
    pub channel: String,
    /// Number of rooms.
    pub rooms: u32,
    /// Rooms each subscriber subscribes to.
    pub rooms_per_subscriber: u32,
    /// How a subscriber's rooms are chosen.
    pub assignment: Assignment,
    /// Bayeux clients that publish (taking the schedule's messages in turn).
    pub publishers: u32,
    /// Messages published per second across all publishers (stages may override).
    pub publish_rate: f64,
    /// How the gaps between publishes are drawn.
    pub arrival: ArrivalKind,
    /// Which room each message goes to.
    pub room_choice: RoomChoice,
    /// Pads each message's `data` to about this many bytes (0 = no padding).
    pub message_bytes: u32,
    /// `ext` object of every handshake (authentication extensions); secret:
    /// reports show its values as `***`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext: Option<serde_json::Value>,
    /// Headers on every Bayeux request (e.g. `Authorization`); secret:
    /// reports show their values as `***`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl Default for BayeuxSettings {
    fn default() -> Self {
        BayeuxSettings {
            ack: false,
            channel: "/load/room{room}".into(),
            rooms: 10,
            rooms_per_subscriber: 1,
            assignment: Assignment::Fixed,
            publishers: 1,
            publish_rate: 10.0,
            arrival: ArrivalKind::Constant,
            room_choice: RoomChoice::RoundRobin,
            message_bytes: 0,
            ext: None,
            headers: BTreeMap::new(),
        }
    }
}

impl BayeuxSettings {
    /// True when nothing differs from the defaults (left out of a written profile).
    pub fn is_default(&self) -> bool {
        *self == BayeuxSettings::default()
    }

    /// The channel of room `room`.
    pub fn room_channel(&self, room: u32) -> String {
        self.channel.replace("{room}", &room.to_string())
    }

    /// The same settings with every secret value replaced by `redacted`.
    pub(crate) fn redact(&mut self, redacted: &str) {
        for value in self.headers.values_mut() {
            redacted.clone_into(value);
        }
        if let Some(ext) = &mut self.ext {
            redact_leaves(ext, redacted);
        }
    }
}

fn redact_leaves(value: &mut serde_json::Value, redacted: &str) {
    match value {
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| redact_leaves(v, redacted)),
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| redact_leaves(v, redacted))
        }
        leaf => *leaf = serde_json::Value::String(redacted.to_owned()),
    }
}

/// Most rooms of one run.
pub const MAX_ROOMS: u32 = 100_000;
/// Most publishing clients.
pub const MAX_PUBLISHERS: u32 = 10_000;
/// Messages per second across the run.
pub const MAX_PUBLISH_RATE: f64 = 100_000.0;
/// Largest padded message.
pub const MAX_MESSAGE_BYTES: u32 = 1 << 20;
/// Messages expected over a run (each has a bit in the delivery ledger).
pub const MAX_MESSAGES: f64 = 200_000_000.0;

/// Checks `[bayeux]` and the stages' `publish_rate`.
pub(crate) fn validate(p: &Profile) -> Result<(), Issue> {
    let b = &p.bayeux;
    if !b.channel.starts_with('/') || b.channel.contains('*') || b.channel.ends_with('/') {
        return issue(
            "bayeux.channel",
            format!(
                "invalid channel {:?}: expected a channel name without wildcards such as \"/load/room{{room}}\"",
                b.channel
            ),
        );
    }
    if b.rooms > 1 && !b.channel.contains("{room}") {
        return issue(
            "bayeux.channel",
            format!(
                "{:?} has no `{{room}}` but there are {} rooms: expected e.g. \"/load/room{{room}}\"",
                b.channel, b.rooms
            ),
        );
    }
    between("bayeux.rooms", b.rooms, 1, MAX_ROOMS)?;
    between(
        "bayeux.rooms_per_subscriber",
        b.rooms_per_subscriber,
        1,
        b.rooms,
    )?;
    between("bayeux.publishers", b.publishers, 1, MAX_PUBLISHERS)?;
    between(
        "bayeux.message_bytes",
        b.message_bytes,
        0,
        MAX_MESSAGE_BYTES,
    )?;
    rate("bayeux.publish_rate", b.publish_rate)?;
    let mut expected = 0.0;
    for (i, stage) in p.stages.iter().enumerate() {
        if let Some(r) = stage.publish_rate {
            rate(&format!("stages[{i}].publish_rate"), r)?;
        }
        expected += p.stage_publish_rate(i) * stage.duration.0.as_secs_f64();
    }
    // The GWS agents publish nothing: the default rate is not theirs.
    if p.scenario == Scenario::Bayeux && expected > MAX_MESSAGES {
        return issue(
            "bayeux.publish_rate",
            format!(
                "{expected:.0} messages over the run are too many to track: expected at most {MAX_MESSAGES:.0}; lower the rate or shorten the stages"
            ),
        );
    }
    if b.ext.as_ref().is_some_and(|e| !e.is_object()) {
        return issue(
            "bayeux.ext",
            "expected a table, e.g. `ext = { auth = { token = \"...\" } }`",
        );
    }
    headers(&b.headers)
}

fn between(field: &str, value: u32, min: u32, max: u32) -> Result<(), Issue> {
    if value < min || value > max {
        return issue(
            field,
            format!("{value} is out of range: expected {min}..={max}"),
        );
    }
    Ok(())
}

fn rate(field: &str, r: f64) -> Result<(), Issue> {
    if !(0.0..=MAX_PUBLISH_RATE).contains(&r) {
        return issue(
            field,
            format!("{r} messages/s is out of range: expected 0..={MAX_PUBLISH_RATE}"),
        );
    }
    Ok(())
}

fn headers(headers: &BTreeMap<String, String>) -> Result<(), Issue> {
    for (name, value) in headers {
        let field = format!("bayeux.headers.{name}");
        if hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return issue(
                field,
                "invalid header name: expected letters, digits and `-`",
            );
        }
        if hyper::header::HeaderValue::from_str(value).is_err() {
            return issue(
                field,
                "invalid header value: expected visible ASCII characters and spaces",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_every_header_value_and_ext_leaf() {
        let mut b = BayeuxSettings {
            ext: Some(serde_json::json!({"auth": {"token": "s3cret", "n": 1}, "l": ["x"]})),
            ..BayeuxSettings::default()
        };
        b.headers
            .insert("Authorization".into(), "Bearer s3cret".into());
        b.redact("***");
        let text = serde_json::to_string(&b).unwrap();
        assert!(
            !text.contains("s3cret") && !text.contains("\"x\""),
            "{text}"
        );
        assert_eq!(b.headers["Authorization"], "***");
    }

    #[test]
    fn room_channels_fill_the_template() {
        let b = BayeuxSettings::default();
        assert_eq!(b.room_channel(7), "/load/room7");
    }
}
