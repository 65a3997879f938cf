//! Media channels an agent can be Ready on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A GWS media channel (`/api/v2/me/channels/{channel}`, `channel` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaChannel {
    /// Email interactions.
    Email,
    /// Chat interactions.
    Chat,
    /// Voice calls (the simulator accepts readiness but routes no calls).
    Voice,
}

impl MediaChannel {
    /// Every channel, in a fixed order usable as an array index.
    pub const ALL: [MediaChannel; 3] =
        [MediaChannel::Email, MediaChannel::Chat, MediaChannel::Voice];

    /// The wire name (`email`, `chat`, `voice`).
    pub const fn as_str(self) -> &'static str {
        match self {
            MediaChannel::Email => "email",
            MediaChannel::Chat => "chat",
            MediaChannel::Voice => "voice",
        }
    }

    /// A dense index, `0..3`.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for MediaChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MediaChannel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(MediaChannel::Email),
            "chat" => Ok(MediaChannel::Chat),
            "voice" => Ok(MediaChannel::Voice),
            other => Err(format!(
                "unknown channel {other:?}: expected email, chat or voice"
            )),
        }
    }
}

/// One value per media channel (readiness, load, queues ...), indexed by
/// [`MediaChannel`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerChannel<T>([T; 3]);

impl<T> PerChannel<T> {
    /// `f(channel)` for every channel.
    pub fn from_fn(mut f: impl FnMut(MediaChannel) -> T) -> Self {
        PerChannel(MediaChannel::ALL.map(&mut f))
    }

    /// Each channel with its value, in [`MediaChannel::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (MediaChannel, &T)> {
        MediaChannel::ALL.into_iter().zip(self.0.iter())
    }
}

impl PerChannel<bool> {
    /// True when the value of at least one channel is.
    pub fn any(&self) -> bool {
        self.0.iter().any(|v| *v)
    }
}

impl<T> std::ops::Index<MediaChannel> for PerChannel<T> {
    type Output = T;
    fn index(&self, channel: MediaChannel) -> &T {
        &self.0[channel.index()]
    }
}

impl<T> std::ops::IndexMut<MediaChannel> for PerChannel<T> {
    fn index_mut(&mut self, channel: MediaChannel) -> &mut T {
        &mut self.0[channel.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_channel_values_are_indexed_by_channel() {
        let mut load = PerChannel::from_fn(|c| c.index() as u32 * 10);
        load[MediaChannel::Chat] += 1;
        assert_eq!(
            load.iter().map(|(c, v)| (c, *v)).collect::<Vec<_>>(),
            [
                (MediaChannel::Email, 0),
                (MediaChannel::Chat, 11),
                (MediaChannel::Voice, 20)
            ]
        );
        let mut ready = PerChannel::<bool>::default();
        assert!(!ready.any());
        ready[MediaChannel::Voice] = true;
        assert!(ready.any() && !ready[MediaChannel::Email]);
    }
}
