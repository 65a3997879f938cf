//! Interruption: the first Ctrl-C (SIGINT) or SIGTERM asks for a graceful
//! stop, the second for an immediate one. Either way the run still writes
//! what it measured. The run itself stops early the same graceful way (it
//! cannot get going, an abort gate failed, every agent died), and the first
//! [`Stop`] asked for is the one the verdict names.

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use crate::progress::Announcer;
use crate::report::Verdict;

/// Why a run stopped before its plan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A signal: `SIGINT` or `SIGTERM`, with the exit code it earns (130, 143).
    Signal {
        /// `SIGINT` or `SIGTERM`.
        name: &'static str,
        /// 128 + the signal's number, as shells report a process a signal ended.
        exit_code: u8,
    },
    /// The run could not get going (no agent logged in in time, the first
    /// logins all failed): exit 3.
    NotRun(String),
    /// A gate with `abort_on_fail` failed during the run.
    Aborted(String),
    /// Every agent started ended on its own before the plan stopped it.
    AllDied(String),
}

impl Stop {
    /// The verdict a run stopped this way earns.
    pub fn verdict(&self) -> Verdict {
        match self {
            Stop::Signal { .. } => Verdict::Interrupted,
            Stop::NotRun(_) => Verdict::NotRun,
            Stop::Aborted(_) => Verdict::Aborted,
            Stop::AllDied(_) => Verdict::Failed,
        }
    }

    /// Why, in one line for the outputs.
    pub fn reason(&self) -> String {
        match self {
            Stop::Signal { name, .. } => format!(
                "interrupted by {name} before the plan ended; the figures cover the part that ran"
            ),
            Stop::NotRun(why) | Stop::Aborted(why) | Stop::AllDied(why) => why.clone(),
        }
    }
}

/// The two levels of "stop" a user can ask for, and why the run stopped.
#[derive(Clone, Default)]
pub struct StopSignals {
    /// Cancelled on the first interrupt: agents go NotReady, finish or
    /// abandon work, disconnect and log out.
    pub graceful: CancellationToken,
    /// Cancelled on the second interrupt: stop at once.
    pub immediate: CancellationToken,
    /// The first reason given for the graceful stop.
    cause: Arc<OnceLock<Stop>>,
}

impl StopSignals {
    /// Stops the run gracefully for `why`; the first reason given is kept.
    pub fn stop(&self, why: Stop) {
        let _ = self.cause.set(why);
        self.graceful.cancel();
    }

    /// Why the run stopped early, if it did.
    pub fn cause(&self) -> Option<Stop> {
        self.cause.get().cloned()
    }

    /// Listens for SIGINT and SIGTERM on the current runtime and cancels
    /// `graceful`, then `immediate`. Prints one line each time (on stderr)
    /// so the user knows what happens.
    pub fn listen(&self) {
        self.listen_announcing(Announcer::plain());
    }

    /// [`listen`](Self::listen), printing through `announcer` (above the live
    /// view's bars on a terminal).
    pub fn listen_announcing(&self, announcer: Announcer) {
        let signals = self.clone();
        tokio::spawn(async move {
            for round in 0..2 {
                let Ok(signal) = wait_for_interrupt().await else {
                    return;
                };
                if round == 0 {
                    announcer.say(
                        "\ninterrupted: stopping gracefully (agents log out, outputs are written); interrupt again to stop at once",
                    );
                    signals.stop(signal);
                } else {
                    announcer.say("\ninterrupted again: stopping now; outputs are still written");
                    signals.immediate.cancel();
                }
            }
        });
    }
}

const SIGINT: Stop = Stop::Signal {
    name: "SIGINT",
    exit_code: 130,
};

#[cfg(unix)]
async fn wait_for_interrupt() -> std::io::Result<Stop> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map(|()| SIGINT),
        _ = term.recv() => Ok(Stop::Signal { name: "SIGTERM", exit_code: 143 }),
    }
}

#[cfg(not(unix))]
async fn wait_for_interrupt() -> std::io::Result<Stop> {
    tokio::signal::ctrl_c().await.map(|()| SIGINT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_to_stop_is_the_one_kept() {
        let signals = StopSignals::default();
        assert_eq!(signals.cause(), None);
        signals.stop(Stop::Aborted("gate x failed".into()));
        signals.stop(SIGINT);
        assert!(signals.graceful.is_cancelled());
        assert_eq!(signals.cause(), Some(Stop::Aborted("gate x failed".into())));
    }
}
