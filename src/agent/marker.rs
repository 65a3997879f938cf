//! The load-test marker: what the injector writes into an interaction's
//! `userData` and the agent reads back from the invite to measure
//! `invite_delivery` and to tell the run's own interactions from others.

use crate::gws::notification::InteractionNotice;

/// `userData` key carrying the run id the injector stamped.
pub const MARK_RUN: &str = "AgentloadRun";
/// `userData` key carrying the injector's sequence number.
pub const MARK_SEQ: &str = "AgentloadSeq";
/// `userData` key carrying the intended creation time, µs since the Unix epoch.
pub const MARK_CREATED_US: &str = "AgentloadCreatedUs";

/// The marker of one interaction of this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// The injector's sequence number.
    pub seq: u64,
    /// Intended creation time, µs since the Unix epoch.
    pub created_us: u64,
}

/// Reads the marker of `notice` when it belongs to run `run_id`. GMS form
/// fields come back as strings; numbers are accepted too.
pub fn read(notice: &InteractionNotice<'_>, run_id: &str) -> Option<Marker> {
    let user_data = notice.user_data().ok()?;
    if user_data.get_str(MARK_RUN)?.as_ref() != run_id {
        return None;
    }
    let number = |key: &str| -> Option<u64> {
        match user_data.get_str(key) {
            Some(text) => text.trim().parse().ok(),
            None => user_data.get(key)?.get().parse().ok(),
        }
    };
    Some(Marker {
        seq: number(MARK_SEQ)?,
        created_us: number(MARK_CREATED_US)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gws::notification::{Notification, decode_notification};

    fn invite(user_data: &str) -> String {
        format!(
            r#"{{"userData":{user_data},"currentQueue":"Q","capabilities":["Accept","Reject"],"state":"Invited",
            "messageType":"InteractionStateMessage","id":"0001","channel":"email","interactionType":"Inbound"}}"#
        )
    }

    fn marker_of(user_data: &str, run: &str) -> Option<Marker> {
        let text = invite(user_data);
        match decode_notification(text.as_bytes()).unwrap() {
            Notification::Interaction(n) => read(&n, run),
            other => panic!("not an interaction: {other:?}"),
        }
    }

    #[test]
    fn reads_the_marker_among_foreign_keys() {
        let ud = r#"{"To":"support@x","_AutoReplyCount":0,"AgentloadRun":"r1","AgentloadSeq":"42","AgentloadCreatedUs":"1700000000000000","RRequestedSkills":null}"#;
        assert_eq!(
            marker_of(ud, "r1"),
            Some(Marker {
                seq: 42,
                created_us: 1_700_000_000_000_000
            })
        );
        assert_eq!(marker_of(ud, "another run"), None);
    }

    #[test]
    fn numbers_are_accepted_and_garbage_is_not_a_marker() {
        assert_eq!(
            marker_of(
                r#"{"AgentloadRun":"r","AgentloadSeq":7,"AgentloadCreatedUs":9}"#,
                "r"
            ),
            Some(Marker {
                seq: 7,
                created_us: 9
            })
        );
        assert_eq!(
            marker_of(
                r#"{"AgentloadRun":"r","AgentloadSeq":"7","AgentloadCreatedUs":"soon"}"#,
                "r"
            ),
            None
        );
        assert_eq!(marker_of(r#"{"Subject":"no marker"}"#, "r"), None);
    }
}
