//! Caps on what injections may add, so a hostile injector cannot grow the
//! simulator without bound.

use std::sync::Arc;

use super::{Effect, Routing};
use crate::gws::MediaChannel;
use crate::sim::interaction::Content;

/// The most an injection may add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectionLimits {
    /// Most bytes of injected `userData` (keys and values) per interaction.
    pub max_user_data_bytes: usize,
    /// Most interactions waiting in the queues.
    pub max_queued: u64,
}

impl Default for InjectionLimits {
    /// No limit.
    fn default() -> Self {
        InjectionLimits {
            max_user_data_bytes: usize::MAX,
            max_queued: u64::MAX,
        }
    }
}

/// Why an injection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectionRefused {
    /// Its `userData` has `bytes` bytes, more than `max`.
    UserDataTooLarge {
        /// The bytes it has.
        bytes: usize,
        /// The cap.
        max: usize,
    },
    /// `max` interactions wait in the queues already.
    QueueFull {
        /// The cap.
        max: u64,
    },
}

impl Routing {
    /// The same state with `limits` on what [`Routing::try_inject`] takes.
    pub fn limit_injections(mut self, limits: InjectionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// [`Routing::inject`] within the [`InjectionLimits`]; a refusal is counted.
    pub fn try_inject(
        &mut self,
        channel: MediaChannel,
        content: Content,
        injected_user_data: &[(String, String)],
        fx: &mut Vec<Effect>,
    ) -> Result<Arc<str>, InjectionRefused> {
        let bytes: usize = injected_user_data
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        let max = self.limits.max_user_data_bytes;
        if bytes > max {
            self.counts.refused_user_data += 1;
            return Err(InjectionRefused::UserDataTooLarge { bytes, max });
        }
        let max = self.limits.max_queued;
        if self.counts.queued >= max {
            self.counts.refused_queue_full += 1;
            return Err(InjectionRefused::QueueFull { max });
        }
        Ok(self.inject(channel, content, injected_user_data, fx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::routing::tests::{chat, email, ready, routing};

    fn limited(max_user_data_bytes: usize, max_queued: u64) -> Routing {
        routing(1, [1, 1]).limit_injections(InjectionLimits {
            max_user_data_bytes,
            max_queued,
        })
    }

    #[test]
    fn user_data_over_the_cap_is_refused_and_counted() {
        let mut r = limited(10, 100);
        let mut fx = Vec::new();
        let fits = [("k".to_string(), "123456789".to_string())];
        assert!(
            r.try_inject(MediaChannel::Email, email(), &fits, &mut fx)
                .is_ok()
        );
        let over = [("k".to_string(), "1234567890".to_string())];
        assert_eq!(
            r.try_inject(MediaChannel::Email, email(), &over, &mut fx),
            Err(InjectionRefused::UserDataTooLarge { bytes: 11, max: 10 })
        );
        let c = r.counts();
        assert_eq!((c.injected, c.refused_user_data), (1, 1));
        assert!(c.add_up());
    }

    #[test]
    fn a_full_queue_refuses_until_an_agent_takes_one() {
        let mut r = limited(100, 2);
        let mut fx = Vec::new();
        for _ in 0..2 {
            r.try_inject(MediaChannel::Email, email(), &[], &mut fx)
                .unwrap();
        }
        assert_eq!(
            r.try_inject(MediaChannel::Chat, chat(), &[], &mut fx),
            Err(InjectionRefused::QueueFull { max: 2 })
        );
        // An offer leaves the queue: room for one more.
        ready(&mut r, 0, MediaChannel::Email);
        assert_eq!(r.counts().queued, 1);
        assert!(
            r.try_inject(MediaChannel::Email, email(), &[], &mut fx)
                .is_ok()
        );
        let c = r.counts();
        assert_eq!((c.injected, c.refused_queue_full), (3, 1));
        assert!(c.add_up());
    }
}
