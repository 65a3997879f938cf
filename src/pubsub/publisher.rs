//! The run's publishers: Bayeux clients (each with its own connect loop, so
//! the server keeps their sessions and re-handshakes after a restart) that
//! publish the schedule's messages in turn. A message is published at its
//! intended time whatever the replies to earlier ones are doing (an open
//! model), and the room's members at that moment are the deliveries it is
//! expected to make.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::rooms::RoomPicker;
use super::{PubSubDeps, payload};
use crate::agent::effect::Measurement;
use crate::bayeux::{BayeuxClient, ClientError};
use crate::engine::arrivals::Arrivals;
use crate::metrics::{Counter, ErrorKind};

/// Longest wait at the end for publishes still in flight.
const SETTLE_PUBLISHES: Duration = Duration::from_secs(10);

/// Publishes `schedule` (offsets from the run start) until it ends or
/// `stop`; then waits for the publishes in flight and disconnects.
pub async fn run_publishers(deps: Arc<PubSubDeps>, schedule: Arrivals, stop: CancellationToken) {
    let count = deps.settings.publishers.max(1);
    let loops = CancellationToken::new();
    let _loops_guard = loops.clone().drop_guard();
    let mut clients = Vec::with_capacity(count as usize);
    let mut background = JoinSet::new();
    for _ in 0..count {
        let (client, mut deliveries) = deps.client();
        // Handshaken before the first publish is due (a failure is counted;
        // the connect loop tries again).
        let _ = client.handshake().await;
        let (looping, token) = (client.clone(), loops.clone());
        // The connect loop handshakes first; publishers subscribe to
        // nothing, so whatever arrives is dropped.
        background.spawn(async move {
            let _ = looping.run_connect_loop(&token).await;
        });
        background.spawn(async move { while deliveries.recv().await.is_some() {} });
        clients.push(client);
    }
    let mut picker = RoomPicker::new(&deps.settings, deps.seed);
    let mut in_flight = JoinSet::new();
    for (seq, offset) in (0u64..).zip(schedule) {
        let intended = deps.start + offset;
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tokio::time::sleep_until(intended.into()) => {}
        }
        while in_flight.try_join_next().is_some() {}
        let client = clients[(seq % u64::from(count)) as usize].clone();
        let room = picker.room(seq);
        in_flight.spawn(publish(deps.clone(), client, seq, room, intended, offset));
    }
    let _ = tokio::time::timeout(SETTLE_PUBLISHES, async {
        while in_flight.join_next().await.is_some() {}
    })
    .await;
    in_flight.abort_all();
    // Disconnected first, so the server itself ends each held connect.
    for client in &clients {
        let _ = client.disconnect().await;
    }
    loops.cancel();
    let _ = tokio::time::timeout(Duration::from_millis(200), async {
        while background.join_next().await.is_some() {}
    })
    .await;
    background.abort_all();
}

/// Publishes message `seq` to `room`, expecting the room's current members
/// to receive it; a failed publish (already counted as an error by the
/// client's observer) expects nothing.
async fn publish(
    deps: Arc<PubSubDeps>,
    client: BayeuxClient,
    seq: u64,
    room: u32,
    intended: Instant,
    offset: Duration,
) {
    let intended_unix_us = deps.start_unix_us + offset.as_micros() as u64;
    let data = payload::encode(
        &deps.run_id,
        seq,
        intended_unix_us,
        deps.settings.message_bytes as usize,
    );
    let members = deps.membership.members(room);
    let expected = members.len() as u64;
    deps.ledger.expect(seq, intended, members);
    let channel = deps.settings.room_channel(room);
    match client.publish(&channel, &data).await {
        Ok(()) => {
            deps.measured(Measurement::Count(Counter::MessagesPublished, 1));
            deps.measured(Measurement::Count(Counter::MessagesExpected, expected));
        }
        Err(e) => {
            if matches!(e, ClientError::NotHandshaken) {
                // Refused before any exchange, so the observer never saw it.
                deps.measured(Measurement::Error(ErrorKind::Exchange(e.kind())));
            }
            // Deliveries that arrived anyway were counted: expect them too.
            let arrived = deps.ledger.withdraw(seq) as u64;
            deps.measured(Measurement::Count(Counter::MessagesExpected, arrived));
        }
    }
}
