//! The clients of a run started so far (agents, or pub/sub subscribers),
//! each with its own stop token so a ramp-down stops exactly the clients
//! the plan names, and how many of them ended on their own.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio::task::{Id, JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::plan::Event;
use crate::metrics::{ErrorKind, Metrics};

/// Running clients, each a task ending with a `T` (how its life ended).
pub(super) struct Roster<T> {
    tasks: JoinSet<T>,
    tokens: HashMap<u32, CancellationToken>,
    /// Which client each task runs.
    ids: HashMap<Id, u32>,
    /// Most clients running at once.
    pub(super) peak: u32,
    /// Clients started in all.
    started: u32,
    /// Clients that ended on their own before the plan stopped them.
    pub(super) died: u32,
}

impl<T: Send + 'static> Roster<T> {
    pub(super) fn new() -> Roster<T> {
        Roster {
            tasks: JoinSet::new(),
            tokens: HashMap::new(),
            ids: HashMap::new(),
            peak: 0,
            started: 0,
            died: 0,
        }
    }

    /// Starts client `index` (`start(index, its stop token)`) or asks it to stop.
    pub(super) fn apply<F>(
        &mut self,
        event: Event,
        graceful: &CancellationToken,
        start: impl FnOnce(u32, CancellationToken) -> F,
    ) where
        F: Future<Output = T> + Send + 'static,
    {
        match event {
            Event::Start(index) => {
                let token = graceful.child_token();
                self.tokens.insert(index, token.clone());
                let task = self.tasks.spawn(start(index, token));
                self.ids.insert(task.id(), index);
                self.started += 1;
                self.peak = self.peak.max(self.tokens.len() as u32);
            }
            Event::Stop(index) => {
                if let Some(token) = self.tokens.remove(&index) {
                    token.cancel();
                }
            }
        }
    }

    /// The next client to end; pending for ever while none runs.
    pub(super) async fn next_exit(&mut self) -> Result<(Id, T), JoinError> {
        match self.tasks.join_next_with_id().await {
            Some(joined) => joined,
            None => std::future::pending().await,
        }
    }

    /// Takes the exit of a client that ended during the ramp: one the plan
    /// had not stopped died (the server ended its session, `reconnect: none`).
    /// An exit `failed` says is a failure (or a panic) counts one `agent_failed`.
    pub(super) fn reap(
        &mut self,
        joined: Result<(Id, T), JoinError>,
        metrics: &Metrics,
        failed: impl Fn(&T) -> bool,
    ) {
        let (id, failure) = match joined {
            Ok((id, exit)) => (id, failed(&exit)),
            Err(e) => (e.id(), true),
        };
        if failure {
            metrics.error(ErrorKind::AgentFailed);
        }
        let Some(index) = self.ids.remove(&id) else {
            return;
        };
        if self.tokens.remove(&index).is_some() {
            self.died += 1;
        }
    }

    /// True when every client the plan starts (`planned`) has started and
    /// every one of them died: nothing more can happen in this run.
    pub(super) fn all_died(&self, planned: u32) -> bool {
        self.died > 0 && self.started == planned && self.died == self.started
    }

    /// Asks every client still running to stop and waits for all of them, at
    /// most `bound`; an immediate stop aborts them at once. Each exit that
    /// `failed` says is a failure, or a panic, counts one `agent_failed`.
    pub(super) async fn stop_all(
        mut self,
        immediate: &CancellationToken,
        metrics: &Metrics,
        bound: Duration,
        failed: impl Fn(&T) -> bool,
    ) {
        for token in self.tokens.values() {
            token.cancel();
        }
        tokio::select! {
            _ = immediate.cancelled() => self.tasks.abort_all(),
            _ = tokio::time::sleep(bound) => {
                metrics.error(ErrorKind::AgentStopTimeout);
                self.tasks.abort_all();
            }
            _ = async {
                while let Some(exit) = self.tasks.join_next().await {
                    let failure = match &exit {
                        Ok(exit) => failed(exit),
                        Err(e) => e.is_panic(),
                    };
                    if failure {
                        metrics.error(ErrorKind::AgentFailed);
                    }
                }
            } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(started: u32, died: u32) -> Roster<()> {
        Roster {
            started,
            died,
            ..Roster::new()
        }
    }

    #[test]
    fn all_died_only_when_every_planned_client_started_and_died() {
        assert!(roster(3, 3).all_died(3));
        assert!(!roster(3, 2).all_died(3), "one still runs");
        assert!(!roster(2, 2).all_died(3), "one more is yet to start");
        assert!(!roster(0, 0).all_died(0), "nobody died in a run of none");
    }
}
