//! Repeating a REST call the server refused as unavailable.

use std::time::Duration;

use super::effect::Measurement;
use super::sink::Sink;
use crate::gws::calls::CallError;
use crate::metrics::Step;

/// Pauses before repeating a REST call the server answered 503: it did not
/// act on it, so repeating is safe, and an agent that gave up would leave an
/// invite unanswered, an interaction open or a channel NotReady for good.
pub const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(300),
    Duration::from_millis(900),
];

/// Runs `call`, repeating it after [`RETRY_PAUSES`] while the server answers
/// HTTP 503; each refused attempt but the last is counted as `<step>_http_503`
/// (the caller counts the final outcome).
pub async fn retry_unavailable<F, Fut>(
    sink: &Sink,
    step: Step,
    mut call: F,
) -> Result<(), CallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), CallError>>,
{
    for pause in RETRY_PAUSES {
        match call().await {
            Err(e @ CallError::Status { status: 503, .. }) => {
                sink.apply(Measurement::error(step, e.kind()));
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
    }
    call().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn status(status: u16) -> CallError {
        CallError::Status {
            what: "Accept",
            status,
        }
    }

    #[tokio::test]
    async fn a_503_is_retried_and_each_refusal_counted() {
        let metrics = Metrics::new();
        let calls = AtomicU32::new(0);
        let result = retry_unavailable(&Sink::new(metrics.clone()), Step::Answer, || async {
            match calls.fetch_add(1, Ordering::Relaxed) {
                0 | 1 => Err(status(503)),
                _ => Ok(()),
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        let errors = metrics.take_interval().errors;
        assert_eq!(errors.get("answer_http_503"), Some(&2), "{errors:?}");
    }

    #[tokio::test]
    async fn other_failures_are_not_retried_and_retries_are_bounded() {
        let metrics = Metrics::new();
        let sink = Sink::new(metrics.clone());
        let calls = AtomicU32::new(0);
        let result = retry_unavailable(&sink, Step::Complete, || async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(status(500))
        })
        .await;
        assert!(matches!(result, Err(CallError::Status { status: 500, .. })));
        assert_eq!(calls.load(Ordering::Relaxed), 1);

        calls.store(0, Ordering::Relaxed);
        let result = retry_unavailable(&sink, Step::Complete, || async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(status(503))
        })
        .await;
        assert!(matches!(result, Err(CallError::Status { status: 503, .. })));
        assert_eq!(calls.load(Ordering::Relaxed), RETRY_PAUSES.len() as u32 + 1);
        let errors = metrics.take_interval().errors;
        // The caller counts the last refusal with the outcome.
        assert_eq!(
            errors.get("complete_http_503"),
            Some(&(RETRY_PAUSES.len() as u64)),
            "{errors:?}"
        );
    }
}
