//! Runs the routing state machine: one short-held lock around [`Routing`],
//! effects carried out while it is held (so an agent's notifications keep
//! their order), timers on tokio.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use serde_json::value::RawValue;

use super::routing::{Counts, Effect, InjectionLimits, Routing, RoutingRules};
use crate::units::DelaySpec;

/// Where notifications go: the Bayeux server, or a recorder in tests.
pub trait Notifier: Send + Sync + 'static {
    /// Queues `data` on `topic` for Bayeux client `client_id`; false when the
    /// client has no subscription matching `topic` (or is gone).
    fn deliver(&self, client_id: &str, topic: &str, data: &RawValue) -> bool;
}

/// The routing switchboard shared by every request handler.
pub struct Switchboard {
    routing: Mutex<Routing>,
    notifier: OnceLock<Arc<dyn Notifier>>,
    invite_timeout: Duration,
    delivery_latency: DelaySpec,
    runtime: tokio::runtime::Handle,
    undelivered: AtomicU64,
}

impl Switchboard {
    /// An switchboard for `users` agents. Must be called inside a tokio runtime (timers run on it).
    pub fn new(
        users: u32,
        rules: RoutingRules,
        limits: InjectionLimits,
        invite_timeout: Duration,
        delivery_latency: DelaySpec,
    ) -> Arc<Self> {
        Arc::new(Switchboard {
            routing: Mutex::new(Routing::new(users, rules).limit_injections(limits)),
            notifier: OnceLock::new(),
            invite_timeout,
            delivery_latency,
            runtime: tokio::runtime::Handle::current(),
            undelivered: AtomicU64::new(0),
        })
    }

    /// Sets where notifications go (once; later calls are ignored).
    pub fn set_notifier(&self, notifier: Arc<dyn Notifier>) {
        let _ = self.notifier.set(notifier);
    }

    fn lock(&self) -> MutexGuard<'_, Routing> {
        // A panic inside a critical section is a bug; the state is still
        // the best there is, so keep serving rather than poisoning every request.
        self.routing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the routing state and carries out the effects it produced.
    pub fn with<R>(self: &Arc<Self>, f: impl FnOnce(&mut Routing, &mut Vec<Effect>) -> R) -> R {
        let mut fx = Vec::new();
        let mut routing = self.lock();
        let out = f(&mut routing, &mut fx);
        self.apply(&routing, fx);
        out
    }

    /// Reads the routing state.
    pub fn read<R>(&self, f: impl FnOnce(&Routing) -> R) -> R {
        f(&self.lock())
    }

    /// The current counts.
    pub fn counts(&self) -> Counts {
        self.lock().counts()
    }

    /// Notifications that found no subscribed Bayeux session of their agent.
    pub fn undelivered(&self) -> u64 {
        self.undelivered.load(Ordering::Relaxed)
    }

    fn apply(self: &Arc<Self>, routing: &Routing, fx: Vec<Effect>) {
        for effect in fx {
            match effect {
                Effect::Notify { agent, topic, data } => {
                    let clients = routing.clients(agent);
                    if self.delivery_latency.is_zero() {
                        self.deliver(clients, topic, &data);
                    } else {
                        let delay = self.delivery_latency.sample(&mut rand::rng());
                        let clients: Vec<Box<str>> = clients.map(Box::from).collect();
                        let me = self.clone();
                        self.runtime.spawn(async move {
                            tokio::time::sleep(delay).await;
                            me.deliver(clients.iter().map(|c| &**c), topic, &data);
                        });
                    }
                }
                Effect::InviteTimer { id, offer } => {
                    let me = self.clone();
                    let after = self.invite_timeout;
                    self.runtime.spawn(async move {
                        tokio::time::sleep(after).await;
                        me.with(|r, fx| r.invite_expired(&id, offer, fx));
                    });
                }
                Effect::RouteLater { id, after } => {
                    let me = self.clone();
                    self.runtime.spawn(async move {
                        tokio::time::sleep(after).await;
                        me.with(|r, fx| r.make_routable(&id, fx));
                    });
                }
            }
        }
    }

    fn deliver<'c>(&self, clients: impl Iterator<Item = &'c str>, topic: &str, data: &RawValue) {
        let mut delivered = false;
        if let Some(n) = self.notifier.get() {
            for c in clients {
                delivered |= n.deliver(c, topic, data);
            }
        }
        if !delivered {
            self.undelivered.fetch_add(1, Ordering::Relaxed);
        }
    }
}
