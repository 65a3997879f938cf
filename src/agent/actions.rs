//! What each [`Action`] does on the wire: the REST calls an agent makes
//! beside its loop, each with its wait before it, retried while the server
//! is unavailable, and timed where it runs (the agent's loop may be busy
//! with deliveries when the result comes back).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::effect::{Action, Call, Done, Measurement};
use super::retry::retry_unavailable;
use super::sink::Sink;
use super::task::AgentDeps;
use crate::gws::calls::CallError;
use crate::http::HttpSession;
use crate::metrics::Step;

/// What an agent's REST calls need: the run's shared parts and this agent's
/// HTTP session (cookies, credentials).
pub struct Rest {
    /// What every agent of the run shares.
    pub deps: Arc<AgentDeps>,
    /// This agent's HTTP session.
    pub session: Arc<HttpSession>,
    /// Where this agent's measurements go.
    pub sink: Sink,
    /// The agent's index in the profile's pool.
    pub index: u32,
}

impl Rest {
    /// Runs `action` to its end.
    pub async fn carry_out(self: Arc<Self>, action: Action) -> Done {
        let (gws, session) = (&self.deps.gws, &*self.session);
        match action {
            Action::Answer { id, op, after } => {
                tokio::time::sleep(after).await;
                let call = timed(retry_unavailable(&self.sink, Step::Answer, || {
                    gws.interaction(session, &id, op)
                }))
                .await;
                Done::Answered { id, op, call }
            }
            Action::Finish {
                id,
                handle_time,
                chat_messages,
            } => self.finish(id, handle_time, chat_messages).await,
            Action::SetReadiness { channel, ready } => Done::Readiness {
                result: retry_unavailable(&self.sink, Step::Readiness, || {
                    gws.set_ready(session, channel, ready)
                })
                .await,
            },
            Action::Rejoin => {
                let run = &self.deps.run;
                let place = run.agents.place(self.index);
                Done::Rejoined {
                    result: retry_unavailable(&self.sink, Step::Rejoin, || {
                        gws.start_session(session, &run.channels, place.as_deref())
                    })
                    .await,
                }
            }
        }
    }

    async fn finish(&self, id: String, handle_time: Duration, messages: u32) -> Done {
        let (gws, session) = (&self.deps.gws, &*self.session);
        let step = handle_time / (messages + 1);
        for i in 0..messages {
            tokio::time::sleep(step).await;
            let text = format!("agentload message {}", i + 1);
            if let Err(e) = retry_unavailable(&self.sink, Step::SendMessage, || {
                gws.send_message(session, &id, &text)
            })
            .await
            {
                self.sink
                    .apply(Measurement::error(Step::SendMessage, e.kind()));
            }
        }
        tokio::time::sleep(handle_time.saturating_sub(step * messages)).await;
        let finish = self.deps.run.model.finish_operation();
        let call = timed(retry_unavailable(&self.sink, Step::Complete, || {
            gws.interaction(session, &id, finish)
        }))
        .await;
        Done::Finished { id, call }
    }
}

/// Runs `call`, noting when it was first sent and when it ended.
async fn timed(call: impl Future<Output = Result<(), CallError>>) -> Call {
    let sent = Instant::now();
    let result = call.await;
    Call {
        sent,
        replied: Instant::now(),
        result,
    }
}
