//! The clients of a run started so far (agents, or pub/sub subscribers),
//! each with its own stop token so a ramp-down stops exactly the clients
//! the plan names.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::plan::Event;
use crate::metrics::{ErrorKind, Metrics};

/// Running clients, each a task ending with a `T` (how its life ended).
pub(super) struct Roster<T> {
    tasks: JoinSet<T>,
    tokens: HashMap<u32, CancellationToken>,
    /// Most clients running at once.
    pub(super) peak: u32,
}

impl<T: Send + 'static> Roster<T> {
    pub(super) fn new() -> Roster<T> {
        Roster {
            tasks: JoinSet::new(),
            tokens: HashMap::new(),
            peak: 0,
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
                self.tasks.spawn(start(index, token));
                self.peak = self.peak.max(self.tokens.len() as u32);
            }
            Event::Stop(index) => {
                if let Some(token) = self.tokens.remove(&index) {
                    token.cancel();
                }
            }
        }
    }

    /// Asks every client still running to stop and waits for all of them, at
    /// most `bound`; an immediate stop aborts them at once. Each exit that
    /// `failed` says is a failure counts one `agent_failed`.
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
                    if exit.as_ref().is_ok_and(&failed) {
                        metrics.error(ErrorKind::AgentFailed);
                    }
                }
            } => {}
        }
    }
}
