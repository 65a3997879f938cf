//! A run of the publish/subscribe scenario (`scenario = "bayeux"`):
//! subscribers ramped per the plan while the publishers publish on their
//! schedule, a drain for deliveries in flight, a graceful stop, and the
//! expected deliveries never received counted as lost.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::arrivals::{Arrivals, segments_by};
use super::plan::Plan;
use super::roster::Roster;
use super::run::{CollectorTask, Execution, IntervalSink, Launch, Origin, STOP_GRACE, drain, ramp};
use crate::agent::{MetricsObserver, Sink};
use crate::bayeux::ClientConfig;
use crate::metrics::{Counter, ErrorKind, Metrics};
use crate::profile::Profile;
use crate::pubsub::publisher::run_publishers;
use crate::pubsub::subscriber::{LEAVE_LINGER, SubscriberExit, run_subscriber};
use crate::pubsub::{Ledger, Membership, PubSubDeps};

/// Runs the pub/sub scenario of `profile` against the first of `setup.nodes` (the
/// Bayeux endpoint itself), handing snapshots to `sink` as it goes.
pub(super) async fn execute<S: IntervalSink>(
    profile: &Profile,
    setup: Launch,
    metrics: Arc<Metrics>,
    sink: S,
) -> Execution<S> {
    let origin = Origin::now();
    let plan = Plan::from_profile(profile);
    let interval = profile.report.interval.0.max(Duration::from_millis(100));
    let collector = CollectorTask::start(metrics.clone(), interval, sink);
    let Some(deps) = deps(profile, &setup, &metrics, origin) else {
        metrics.error(ErrorKind::BadNotificationsUrl);
        return collector.finish(origin, true, 0).await;
    };
    let schedule = Arrivals::new(
        segments_by(profile, |i| profile.stage_publish_rate(i)),
        profile.bayeux.arrival,
        setup.seed ^ 0x0B5E_55ED_C0FF_EE00,
    );
    // The schedule ends with the stages; only a graceful stop cuts it short,
    // so a generator running late still publishes every message planned.
    let publishers = tokio::spawn(run_publishers(
        deps.clone(),
        schedule,
        setup.signals.graceful.clone(),
    ));
    let mut roster = Roster::new();
    let failed = |exit: &SubscriberExit| matches!(exit, SubscriberExit::Failed(_));
    let interrupted = ramp(
        &plan,
        origin.instant,
        &setup.signals,
        &mut roster,
        |index, token| run_subscriber(index, deps.clone(), token),
        failed,
        &metrics,
    )
    .await;
    let _ = publishers.await;
    if !interrupted {
        drain(profile.traffic.drain.0, &setup.signals.graceful).await;
    }
    deps.quiet.cancel();
    let peak = roster.peak;
    roster
        .stop_all(
            &setup.signals.immediate,
            &metrics,
            STOP_GRACE + LEAVE_LINGER,
            failed,
        )
        .await;
    metrics.count(Counter::MessagesLost, deps.ledger.missing());
    collector.finish(origin, interrupted, peak).await
}

/// What the run's subscribers and publishers share; `None` when the target
/// is not a URL.
fn deps(
    profile: &Profile,
    setup: &Launch,
    metrics: &Arc<Metrics>,
    origin: Origin,
) -> Option<Arc<PubSubDeps>> {
    let mut bayeux = ClientConfig::new(setup.nodes.first().parse().ok()?);
    bayeux.ack = profile.bayeux.ack;
    bayeux.handshake_ext = profile.bayeux.ext.clone();
    Some(Arc::new(PubSubDeps {
        http: setup.http.clone(),
        bayeux: Arc::new(bayeux),
        headers: PubSubDeps::parse_headers(&profile.bayeux),
        settings: profile.bayeux.clone(),
        run_id: setup.run_id.clone(),
        start: origin.instant,
        start_unix_us: origin.unix_us,
        seed: setup.seed,
        sink: Sink::new(metrics.clone()),
        observer: Arc::new(MetricsObserver::new(metrics.clone())),
        membership: Membership::new(profile.bayeux.rooms),
        ledger: Ledger::new(profile.agents.count),
        quiet: CancellationToken::new(),
    }))
}
