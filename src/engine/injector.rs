//! Creates interactions the way work arrives on a real deployment: through
//! the GMS-style email and chat APIs, at the profile's arrival rate, on a
//! schedule fixed against the run's start (an open model: when the target or
//! the generator falls behind, later arrivals are not pushed back).
//!
//! Each interaction carries the run id, a sequence number and its *intended*
//! creation time in `userData`; the agent that receives the invite measures
//! `invite_delivery` from that time, so a stall anywhere shows up as latency
//! instead of hiding (coordinated omission).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Method, Uri};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::nodes::node_of_interaction;
use super::schedule::Arrival;
use crate::agent::OfferLedger;
use crate::agent::marker::{MARK_CREATED_US, MARK_RUN, MARK_SEQ};
use crate::gws::paths;
use crate::http::{HttpClient, HttpSession};
use crate::metrics::{Cause, Counter, ErrorKind, Measure, Metrics, Step};
use crate::shard::{SeqRecorder, ShardSpec};

/// Interactions in flight to the injection API at once; past that, arrivals
/// wait (and the lag is measured) rather than piling up unbounded tasks.
const MAX_IN_FLIGHT: usize = 512;

/// The media an interaction is created on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `POST /genesys/2/email/{service}`.
    Email,
    /// `POST /genesys/2/chat/{service}`.
    Chat,
}

impl Media {
    /// The path segment (`email`, `chat`).
    pub fn name(self) -> &'static str {
        match self {
            Media::Email => "email",
            Media::Chat => "chat",
        }
    }
}

/// The run's interaction creator.
pub struct Injector {
    http: HttpClient,
    session: HttpSession,
    /// The injection API of each node (one for most runs).
    bases: Vec<String>,
    service: String,
    run_id: String,
    start: Instant,
    start_unix_us: u64,
    /// One past the highest sequence number sent so far.
    sent_end: AtomicU64,
    /// Which arrivals are this process's (their outcome is settled here).
    shard: ShardSpec,
    /// A shard's record of what it created and what failed.
    seqs: Option<Arc<SeqRecorder>>,
    /// Sequence numbers whose creation request failed or got no answer.
    failed: OfferLedger,
    /// Sequence numbers whose outcome was counted, by the request's task
    /// or, for one still unanswered, by [`Injector::settle`]: whichever
    /// marks it first counts it, so each creation counts once.
    settled: OfferLedger,
    metrics: Arc<Metrics>,
    in_flight: Arc<Semaphore>,
    timeout: Duration,
}

impl Injector {
    /// An injector posting to `{base}/genesys/2/{media}/{service}`, the
    /// interaction with sequence number `k` to base `k % bases.len()`.
    pub fn new(
        http: HttpClient,
        bases: &[String],
        service: &str,
        run_id: &str,
        (start, start_unix_us): (Instant, u64),
        metrics: Arc<Metrics>,
        planned: u64,
    ) -> Self {
        Injector {
            http,
            session: HttpSession::new(),
            bases: bases
                .iter()
                .map(|b| b.trim_end_matches('/').to_string())
                .collect(),
            service: service.to_string(),
            run_id: run_id.to_string(),
            start,
            start_unix_us,
            sent_end: AtomicU64::new(0),
            shard: ShardSpec::WHOLE,
            seqs: None,
            failed: OfferLedger::new(planned),
            settled: OfferLedger::new(planned),
            metrics,
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            timeout: Duration::from_secs(30),
        }
    }

    /// The injector of shard `spec`, recording its outcomes into `seqs`.
    pub fn for_shard(mut self, spec: ShardSpec, seqs: Option<Arc<SeqRecorder>>) -> Self {
        self.shard = spec;
        self.seqs = seqs;
        self
    }

    /// Waits (at most `within`) until no creation request is in flight, so
    /// each is counted as injected or failed before the run's totals are
    /// settled. One still unanswered then is an error (`inject_unanswered`)
    /// and not created; its answer, should it still come, is not counted.
    pub async fn settle(&self, within: Duration) {
        let all = u32::try_from(MAX_IN_FLIGHT).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(within, self.in_flight.acquire_many(all)).await;
        for seq in (0..self.sent()).filter(|&seq| self.shard.owns(seq)) {
            if self.settled.offered(seq) {
                self.mark_failed(seq);
                self.metrics.error(ErrorKind::InjectUnanswered);
            }
        }
    }

    /// One past the highest sequence number sent so far (unsharded: how many
    /// creation requests were sent).
    pub fn sent(&self) -> u64 {
        self.sent_end.load(Ordering::Relaxed)
    }

    fn mark_failed(&self, seq: u64) {
        self.failed.offered(seq);
        if let Some(seqs) = &self.seqs {
            seqs.failed(seq);
        }
    }

    /// The sequence numbers whose creation request failed or got no answer.
    pub fn failed(&self) -> &OfferLedger {
        &self.failed
    }

    /// Creates one interaction per arrival of `schedule` at its offset (from
    /// the run start), until the schedule ends or `stop` is cancelled.
    pub async fn run(
        self: Arc<Self>,
        schedule: impl Iterator<Item = Arrival>,
        stop: CancellationToken,
    ) {
        // Per media, the creation URL on each node.
        let urls_of = |media: Media| -> Option<Vec<Uri>> {
            let path = match media {
                Media::Email => paths::gms_email(&self.service),
                Media::Chat => paths::gms_chat(&self.service),
            };
            let urls: Option<Vec<Uri>> = self
                .bases
                .iter()
                .map(|base| format!("{base}{path}").parse().ok())
                .collect();
            urls.filter(|urls| !urls.is_empty())
        };
        let (Some(email), Some(chat)) = (urls_of(Media::Email), urls_of(Media::Chat)) else {
            self.metrics.error(ErrorKind::InjectBadUrl);
            return;
        };
        for arrival in schedule {
            let due = self.start + arrival.offset;
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep_until(due.into()) => {}
            }
            let permit = tokio::select! {
                _ = stop.cancelled() => return,
                permit = self.in_flight.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let seq = arrival.seq;
            self.sent_end.fetch_max(seq + 1, Ordering::Relaxed);
            let intended_us = self.start_unix_us + arrival.offset.as_micros() as u64;
            let body = self.form(arrival.media, seq, intended_us);
            let urls = match arrival.media {
                Media::Email => &email,
                Media::Chat => &chat,
            };
            // Interaction `k` is created on node `k % K`, whatever shard sends it.
            let url = urls[node_of_interaction(seq, urls.len())].clone();
            tokio::spawn(self.clone().create(url, body, seq, due, permit));
        }
    }

    /// Sends one creation request and counts its outcome (once, see `settled`).
    async fn create(
        self: Arc<Self>,
        url: Uri,
        body: Bytes,
        seq: u64,
        due: Instant,
        _permit: tokio::sync::OwnedSemaphorePermit,
    ) {
        self.metrics.record(Measure::InjectionLag, due.elapsed());
        let result = self
            .http
            .request(
                &self.session,
                Method::POST,
                &url,
                Some(FORM),
                body,
                self.timeout,
            )
            .await;
        // Only interactions the server created count as injected; the
        // others are errors, excused from `interactions_lost`.
        let failure = match result {
            Ok(resp) if resp.status.is_success() => None,
            Ok(resp) => Some(Cause::HttpStatus(resp.status.as_u16())),
            Err(e) => Some(e.kind()),
        };
        if !self.settled.offered(seq) {
            // Already counted as unanswered when the run settled.
            return;
        }
        match failure {
            None => {
                self.metrics.count(Counter::InteractionsInjected, 1);
                if let Some(seqs) = &self.seqs {
                    seqs.injected(seq);
                }
            }
            Some(cause) => {
                self.mark_failed(seq);
                self.metrics.error(ErrorKind::Step(Step::Inject, cause));
            }
        }
    }

    fn form(&self, media: Media, seq: u64, intended_us: u64) -> Bytes {
        let seq_text = seq.to_string();
        let created = intended_us.to_string();
        let subject = format!("agentload {} {seq}", media.name());
        let mut fields: Vec<(&str, &str)> = vec![("subject", &subject)];
        match media {
            Media::Email => fields.extend([
                ("firstName", "Load"),
                ("lastName", "Customer"),
                ("fromAddress", "customer@agentload.invalid"),
                ("text", "Simulated customer email created by agentload."),
            ]),
            Media::Chat => fields.push(("nickname", "LoadCustomer")),
        }
        let run_key = format!("userData[{MARK_RUN}]");
        let seq_key = format!("userData[{MARK_SEQ}]");
        let created_key = format!("userData[{MARK_CREATED_US}]");
        fields.extend([
            (run_key.as_str(), self.run_id.as_str()),
            (seq_key.as_str(), seq_text.as_str()),
            (created_key.as_str(), created.as_str()),
        ]);
        Bytes::from(form_encode(&fields))
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// `application/x-www-form-urlencoded` encoding of key/value pairs.
fn form_encode(fields: &[(&str, &str)]) -> String {
    // Encoding a list of string pairs cannot fail.
    serde_urlencoded::to_string(fields).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_brackets_and_spaces() {
        let text = form_encode(&[("userData[AgentloadRun]", "run 1"), ("x", "a&b=c")]);
        assert_eq!(text, "userData%5BAgentloadRun%5D=run+1&x=a%26b%3Dc");
    }
}
