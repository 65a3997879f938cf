//! One subscriber's life: handshake, join its rooms, receive until asked to
//! stop, leave its rooms, wait for deliveries still in flight, disconnect.
//! Each receipt is matched in the run's [`super::Ledger`]; what it means is
//! recorded through the sink.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{PubSubDeps, Receipt, payload, rooms};
use crate::agent::effect::Measurement;
use crate::bayeux::{BayeuxClient, ClientError, Deliveries, Delivery};
use crate::metrics::{Counter, Gauge, Measure};

/// Longest a subscriber that left its rooms keeps receiving the messages
/// published while it was a member (it goes as soon as it has them all).
pub const LEAVE_LINGER: Duration = Duration::from_secs(30);

/// After leaving, a subscriber waits at least this long (a publish that
/// counted it a member just before it left is then in the ledger), then
/// checks this often whether it still expects anything.
const LEAVE_CHECK: Duration = Duration::from_millis(200);

/// Pause between failed attempts to handshake or subscribe.
const RETRY: Duration = Duration::from_secs(1);

/// How a subscriber's life ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriberExit {
    /// Stopped when asked.
    Stopped,
    /// Asked to stop before it had joined its rooms.
    StoppedBeforeJoining,
    /// The connect loop ended by itself (server disconnect, `reconnect: none`).
    Failed(String),
}

/// Runs subscriber `index` until `stop` is cancelled (or the server ends it).
pub async fn run_subscriber(
    index: u32,
    deps: Arc<PubSubDeps>,
    stop: CancellationToken,
) -> SubscriberExit {
    let (client, deliveries) = deps.client();
    if !handshake(&client, &stop).await {
        return SubscriberExit::StoppedBeforeJoining;
    }
    // Connecting before subscribing, as CometD's own client does: a server
    // slow to confirm subscriptions must not expire the session meanwhile.
    let connect_stop = CancellationToken::new();
    // A subscriber aborted at the end of a run must not leave its connect
    // loop polling and recording after the final snapshot.
    let _connect_guard = connect_stop.clone().drop_guard();
    let connect = {
        let (client, token) = (client.clone(), connect_stop.clone());
        tokio::spawn(async move { client.run_connect_loop(&token).await })
    };
    let mut me = Member {
        index,
        rooms: rooms::rooms_of(index, &deps.settings, deps.seed),
        client,
        connect,
        connect_done: false,
    };
    if !me.join(&deps, &stop).await {
        me.leave(&deps);
        connect_stop.cancel();
        let _ = me.client.disconnect().await;
        return SubscriberExit::StoppedBeforeJoining;
    }
    deps.measured(Measurement::Gauge(Gauge::AgentsConnected, 1));
    let exit = me.receive(&deps, deliveries, &stop).await;
    connect_stop.cancel();
    if !me.connect_done {
        // The loop notices the token between connects; a held connect is
        // released by the disconnect.
        let _ = me.client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_millis(50), &mut me.connect).await;
    }
    deps.measured(Measurement::Gauge(Gauge::AgentsConnected, -1));
    exit
}

/// Handshakes, retrying until done; `false` when asked to stop first (the
/// observer counts each failed exchange as an error).
async fn handshake(client: &BayeuxClient, stop: &CancellationToken) -> bool {
    while client.client_id().is_none() {
        if stop.is_cancelled() || (client.handshake().await.is_err() && !pause(stop).await) {
            return false;
        }
    }
    !stop.is_cancelled()
}

/// Sleeps [`RETRY`]; `false` when asked to stop meanwhile.
async fn pause(stop: &CancellationToken) -> bool {
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(RETRY) => true,
    }
}

/// A handshaken subscriber, its rooms and its connect loop.
struct Member {
    index: u32,
    rooms: Vec<u32>,
    client: BayeuxClient,
    connect: JoinHandle<Result<(), ClientError>>,
    connect_done: bool,
}

impl Member {
    /// Subscribes to every room, retrying until done or `stop`; a room is
    /// joined once the server confirmed the subscription.
    async fn join(&self, deps: &PubSubDeps, stop: &CancellationToken) -> bool {
        for &room in &self.rooms {
            let channel = deps.settings.room_channel(room);
            loop {
                if stop.is_cancelled() {
                    return false;
                }
                match self.client.subscribe(&channel).await {
                    Ok(()) => break,
                    // Racing a re-handshake: the connect loop re-subscribes.
                    Err(ClientError::UnknownClient(_)) => break,
                    Err(_) if !pause(stop).await => return false,
                    Err(_) => {}
                }
            }
            deps.membership.join(room, self.index);
        }
        true
    }

    fn leave(&self, deps: &PubSubDeps) {
        for &room in &self.rooms {
            deps.membership.leave(room, self.index);
        }
    }

    /// Takes every delivery until `stop`, then leaves and lingers.
    async fn receive(
        &mut self,
        deps: &PubSubDeps,
        mut deliveries: Deliveries,
        stop: &CancellationToken,
    ) -> SubscriberExit {
        let mut exit = SubscriberExit::Stopped;
        let mut left_at: Option<tokio::time::Instant> = None;
        let mut check = tokio::time::interval(LEAVE_CHECK);
        loop {
            let lingering = left_at.is_some();
            tokio::select! {
                biased;
                Some(delivery) = deliveries.recv() => on_delivery(deps, self.index, delivery),
                ended = &mut self.connect, if !self.connect_done => {
                    self.connect_done = true;
                    if !lingering {
                        // Counted as `agent_failed` when the run reaps it.
                        exit = SubscriberExit::Failed(loop_ended(ended));
                    }
                    break;
                }
                _ = stop.cancelled(), if !lingering => {
                    self.leave(deps);
                    left_at = Some(tokio::time::Instant::now());
                    check.reset();
                }
                now = check.tick(), if lingering => {
                    let waited = left_at.map_or(Duration::ZERO, |t| now.duration_since(t));
                    if deps.ledger.outstanding(self.index) == 0 || waited >= LEAVE_LINGER {
                        break;
                    }
                }
                _ = deps.quiet.cancelled(), if lingering => break,
            }
        }
        self.leave(deps);
        while let Ok(delivery) = deliveries.try_recv() {
            on_delivery(deps, self.index, delivery);
        }
        exit
    }
}

/// Matches one delivery in the ledger and records what it means.
fn on_delivery(deps: &PubSubDeps, index: u32, delivery: Delivery) {
    let Delivery::Message {
        data, received_at, ..
    } = delivery
    else {
        // Re-handshaken: the client re-subscribed to every room by itself.
        return;
    };
    let Some(seq) = payload::decode(data.get(), &deps.run_id) else {
        return;
    };
    match deps.ledger.receive(seq, index, received_at) {
        Receipt::Delivered { latency, spread } => {
            deps.measured(Measurement::Record(Measure::MessageDelivery, latency));
            deps.measured(Measurement::Count(Counter::MessagesDelivered, 1));
            if let Some(spread) = spread {
                deps.measured(Measurement::Record(Measure::FanoutSpread, spread));
            }
        }
        Receipt::Duplicate => deps.measured(Measurement::Count(Counter::MessagesDuplicate, 1)),
        Receipt::Unexpected => {}
    }
}

fn loop_ended(ended: Result<Result<(), ClientError>, tokio::task::JoinError>) -> String {
    match ended {
        Ok(Ok(())) => "connect loop ended".to_string(),
        Ok(Err(e)) => format!("connect loop stopped: {e}"),
        Err(e) => format!("connect loop task failed: {e}"),
    }
}
