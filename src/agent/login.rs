//! Logging an agent in (GET /me, handshake, subscribe,
//! StartContactCenterSession, with backoff while the target is unavailable)
//! and out again.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::actions::Rest;
use super::effect::Measurement;
use super::machine::session_started;
use super::task::TOPICS;
use crate::bayeux::BayeuxClient;
use crate::metrics::{Counter, Measure, Step};

impl Rest {
    /// Logs in, retrying with backoff while the target is unavailable. False
    /// when stopped first.
    pub async fn log_in(&self, client: &BayeuxClient, stop: &CancellationToken) -> bool {
        let mut backoff = Duration::from_millis(500);
        // Handshaken and subscribed to every topic.
        let mut joined = false;
        loop {
            let attempt = tokio::select! {
                _ = stop.cancelled() => return false,
                attempt = self.try_log_in(client, &mut joined) => attempt,
            };
            match attempt {
                Ok(()) => return true,
                Err(failure) => {
                    self.sink
                        .apply(Measurement::Count(Counter::LoginsFailed, 1));
                    if let Some(failure) = failure {
                        self.sink.apply(failure);
                    }
                    tokio::select! {
                        _ = stop.cancelled() => return false,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    /// One attempt; its failure, unless already counted. A failed handshake
    /// or subscribe was counted by the Bayeux observer under its cause
    /// (`handshake_refused`, `timeout`), like every exchange: counting it
    /// again here would count one failure twice.
    async fn try_log_in(
        &self,
        client: &BayeuxClient,
        joined: &mut bool,
    ) -> Result<(), Option<Measurement>> {
        let gws = &self.deps.gws;
        gws.get_me(&self.session)
            .await
            .map_err(|e| Some(Measurement::error(Step::Login, e.kind())))?;
        // Until every subscribe succeeded, a retry does them all again: an
        // agent missing a topic would run without invites or channel notices.
        if !*joined {
            if client.client_id().is_none() {
                client.handshake().await.map_err(|_| None)?;
            }
            for topic in TOPICS {
                client.subscribe(topic).await.map_err(|_| None)?;
            }
            *joined = true;
        }
        let started = Instant::now();
        let run = &self.deps.run;
        let place = run.agents.place(self.index);
        session_started(
            gws.start_session(&self.session, &run.channels, place.as_deref())
                .await,
        )
        .map_err(|e| Some(Measurement::error(Step::SessionStart, e.kind())))?;
        self.sink.apply(Measurement::Record(
            Measure::SessionStart,
            started.elapsed(),
        ));
        Ok(())
    }

    /// Disconnects the Bayeux session and ends the contact-center session,
    /// each given 5 s at most.
    pub async fn log_out(&self, client: &BayeuxClient) {
        let timeout = Duration::from_secs(5);
        let _ = tokio::time::timeout(timeout, client.disconnect()).await;
        if let Ok(Err(e)) =
            tokio::time::timeout(timeout, self.deps.gws.end_session(&self.session)).await
        {
            self.sink
                .apply(Measurement::error(Step::SessionEnd, e.kind()));
        }
    }
}
