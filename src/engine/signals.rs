//! Interruption: the first Ctrl-C (SIGINT) or SIGTERM asks for a graceful
//! stop, the second for an immediate one. Either way the run still writes
//! what it measured.

use tokio_util::sync::CancellationToken;

use crate::progress::Announcer;

/// The two levels of "stop" a user can ask for.
#[derive(Clone, Default)]
pub struct StopSignals {
    /// Cancelled on the first interrupt: agents go NotReady, finish or
    /// abandon work, disconnect and log out.
    pub graceful: CancellationToken,
    /// Cancelled on the second interrupt: stop at once.
    pub immediate: CancellationToken,
}

impl StopSignals {
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
                if wait_for_interrupt().await.is_err() {
                    return;
                }
                if round == 0 {
                    announcer.say(
                        "\ninterrupted: stopping gracefully (agents log out, outputs are written); interrupt again to stop at once",
                    );
                    signals.graceful.cancel();
                } else {
                    announcer.say("\ninterrupted again: stopping now; outputs are still written");
                    signals.immediate.cancel();
                }
            }
        });
    }
}

#[cfg(unix)]
async fn wait_for_interrupt() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r,
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_interrupt() -> std::io::Result<()> {
    tokio::signal::ctrl_c().await
}
