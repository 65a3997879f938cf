//! [`Deliveries`]: a client's events on their way to its agent, in order.
//!
//! Not a tokio channel: every agent holds one for its whole life, and an
//! unbounded mpsc channel allocates about 800 bytes up front (cache-padded
//! counters and a first block of 32 slots), an eighth of an idle agent. This
//! mailbox is a queue under a lock and a [`Notify`], about 100 bytes, whose
//! buffer exists only while deliveries wait.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::value::RawValue;
use tokio::sync::Notify;
use tokio::sync::mpsc::error::TryRecvError;

/// What the client hands to its agent.
#[derive(Debug)]
pub enum Delivery {
    /// An event from a subscribed channel, in arrival order.
    Message {
        /// The concrete channel of the event.
        channel: String,
        /// The event's `data`, undecoded.
        data: Box<RawValue>,
        /// When the reply carrying it was decoded.
        received_at: Instant,
    },
    /// The client handshook again and re-subscribed by itself; server-side
    /// state bound to the old session (e.g. readiness) must be redone.
    Rehandshaked,
}

#[derive(Debug, Default)]
struct Mailbox {
    queue: Mutex<Queue>,
    /// One permit per send at most pending: the single receiver rechecks
    /// the queue after every wake, so a permit is never lost with an item.
    arrived: Notify,
}

#[derive(Debug, Default)]
struct Queue {
    items: VecDeque<Delivery>,
    /// The client is gone: nothing more will come.
    closed: bool,
    /// The receiver is gone: what would come has nowhere to go.
    abandoned: bool,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A poisoned queue only means a panic elsewhere mid-push; its
        // items are still whole.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The client's end: owned by the client's shared state, so the mailbox
/// closes when the last clone of the client is dropped.
#[derive(Debug)]
pub(super) struct Sender(Arc<Mailbox>);

impl Sender {
    /// Queues `delivery`, unless the receiver is gone.
    pub(super) fn send(&self, delivery: Delivery) {
        {
            let mut queue = self.0.lock();
            if queue.abandoned {
                return;
            }
            queue.items.push_back(delivery);
        }
        self.0.arrived.notify_one();
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.0.lock().closed = true;
        self.0.arrived.notify_one();
    }
}

/// The receiving end of a client's deliveries, in arrival order.
#[derive(Debug)]
pub struct Deliveries(Arc<Mailbox>);

/// A connected sender and receiver.
pub(super) fn mailbox() -> (Sender, Deliveries) {
    let shared = Arc::new(Mailbox::default());
    (Sender(shared.clone()), Deliveries(shared))
}

impl Deliveries {
    /// The next delivery; `None` once the client is gone and all were taken.
    /// Cancel-safe: a delivery is taken only when this returns it.
    pub async fn recv(&mut self) -> Option<Delivery> {
        loop {
            match self.try_recv() {
                Ok(delivery) => return Some(delivery),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => self.0.arrived.notified().await,
            }
        }
    }

    /// The next delivery if one is waiting.
    pub fn try_recv(&mut self) -> Result<Delivery, TryRecvError> {
        let mut queue = self.0.lock();
        match queue.items.pop_front() {
            Some(delivery) => {
                if queue.items.is_empty() {
                    // Deliveries come in bursts; an agent between them holds
                    // no buffer.
                    queue.items = VecDeque::new();
                }
                Ok(delivery)
            }
            None if queue.closed => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl Drop for Deliveries {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        queue.abandoned = true;
        queue.items = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn message(n: u32) -> Delivery {
        Delivery::Message {
            channel: format!("/c/{n}"),
            data: RawValue::from_string(n.to_string()).unwrap(),
            received_at: Instant::now(),
        }
    }

    fn channel_of(d: Delivery) -> String {
        match d {
            Delivery::Message { channel, .. } => channel,
            Delivery::Rehandshaked => "rehandshaked".into(),
        }
    }

    #[tokio::test]
    async fn delivers_in_order_then_ends_when_the_sender_goes() {
        let (tx, mut rx) = mailbox();
        tx.send(message(1));
        tx.send(Delivery::Rehandshaked);
        tx.send(message(2));
        drop(tx);
        let mut got = Vec::new();
        while let Some(d) = rx.recv().await {
            got.push(channel_of(d));
        }
        assert_eq!(got, ["/c/1", "rehandshaked", "/c/2"]);
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_a_later_send() {
        let (tx, mut rx) = mailbox();
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        let waiter = tokio::spawn(async move { rx.recv().await.map(channel_of) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.send(message(7));
        let got = tokio::time::timeout(Duration::from_secs(5), waiter).await;
        assert_eq!(got.unwrap().unwrap().as_deref(), Some("/c/7"));
    }

    #[tokio::test]
    async fn a_cancelled_recv_loses_nothing() {
        let (tx, mut rx) = mailbox();
        // Dropped while waiting, as a losing select! branch is.
        let timed_out = tokio::time::timeout(Duration::from_millis(10), rx.recv()).await;
        assert!(timed_out.is_err());
        tx.send(message(3));
        let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert_eq!(got.unwrap().map(channel_of).as_deref(), Some("/c/3"));
    }

    #[test]
    fn nothing_is_kept_for_a_receiver_that_is_gone() {
        let (tx, rx) = mailbox();
        let shared = rx.0.clone();
        drop(rx);
        tx.send(message(1));
        assert!(shared.lock().items.is_empty());
        assert_eq!(shared.lock().items.capacity(), 0);
    }
}
