//! Time limits on every connection, so idle or half-sent ones cannot pile
//! up: the idle timeout between requests and the deadline of a request's
//! body. Neither runs while a request is being answered, so a held
//! `/meta/connect` is never cut.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Request;
use hyper::body::{Body, Frame, SizeHint};
use hyper::server::conn::http1::Builder;
use hyper_util::rt::TokioTimer;
use tokio::time::{Instant, Sleep};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The HTTP/1.1 settings of every connection. `idle` (zero: none) closes a
/// connection that has not sent a complete request head that long after it
/// opened or after its last response: hyper's header read timeout, which
/// runs only while no request is in progress.
pub(super) fn http1(idle: Duration) -> Builder {
    let mut http = Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout((!idle.is_zero()).then_some(idle));
    http
}

/// `service` with a [`DeadlineBody`] around every request body: a body
/// still awaited `limit` (zero: none) after its head fails, so its handler
/// answers 400 and hyper closes the connection, whose request never ended.
/// Wrapped around the whole service (not an axum layer), it costs a held
/// connect nothing once its body is read.
#[derive(Clone)]
pub(super) struct BodyDeadline<S> {
    /// The service every request goes on to.
    pub(super) service: S,
    /// How long a body may take after its head.
    pub(super) limit: Duration,
}

impl<S, B> hyper::service::Service<Request<B>> for BodyDeadline<S>
where
    S: hyper::service::Service<Request<DeadlineBody<B>>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn call(&self, req: Request<B>) -> Self::Future {
        let limit = (!self.limit.is_zero()).then_some(self.limit);
        let started = Instant::now();
        self.service.call(req.map(|body| DeadlineBody {
            body,
            deadline: limit.map(|l| started + l),
            timer: None,
        }))
    }
}

/// A request body that fails when it is still awaited at its deadline.
pub(super) struct DeadlineBody<B> {
    body: B,
    deadline: Option<Instant>,
    /// Started the first time the body is awaited: most bodies have arrived
    /// with their head and never need one.
    timer: Option<Pin<Box<Sleep>>>,
}

impl<B> Body for DeadlineBody<B>
where
    B: Body + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        // What has arrived is taken even after the deadline (a pause fault
        // may have delayed the handler): only waiting past it fails.
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let Some(deadline) = self.deadline else {
            return Poll::Pending;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(
                "the request body did not arrive within the simulator's body_timeout".into(),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
