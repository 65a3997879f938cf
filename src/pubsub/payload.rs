//! What a pub/sub message carries so its deliveries can be matched: the run
//! id (messages of other runs or publishers are not ours), a sequence number
//! and its intended publish time, optionally padded to a size.

use serde::Deserialize;
use serde_json::value::RawValue;

/// The `data` of message `seq` of run `run_id`, meant to be published at
/// `intended_unix_us`, padded to about `bytes` bytes (0 = no padding).
pub fn encode(run_id: &str, seq: u64, intended_unix_us: u64, bytes: usize) -> Box<RawValue> {
    let run = serde_json::Value::String(run_id.to_owned());
    let head = format!("{{\"run\":{run},\"seq\":{seq},\"t\":{intended_unix_us}");
    // `,"pad":""}` is 10 bytes.
    let pad = bytes.saturating_sub(head.len() + 10);
    let text = if bytes == 0 {
        format!("{head}}}")
    } else {
        format!("{head},\"pad\":\"{}\"}}", "x".repeat(pad))
    };
    // Built from a JSON string, a number and ASCII padding: always valid JSON.
    RawValue::from_string(text).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

#[derive(Deserialize)]
struct Stamp<'a> {
    #[serde(borrow)]
    run: std::borrow::Cow<'a, str>,
    seq: u64,
}

/// The sequence number of a message of run `run_id`; `None` for anything
/// else (another run's messages, other publishers' data).
pub fn decode(data: &str, run_id: &str) -> Option<u64> {
    let stamp: Stamp<'_> = serde_json::from_str(data).ok()?;
    (stamp.run == run_id).then_some(stamp.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_round_trips_and_pads_to_its_size() {
        let plain = encode("run-1", 42, 1_700_000_000_000_000, 0);
        assert_eq!(decode(plain.get(), "run-1"), Some(42));
        let padded = encode("run-1", 7, 1, 512);
        assert_eq!(padded.get().len(), 512, "{}", padded.get());
        assert_eq!(decode(padded.get(), "run-1"), Some(7));
    }

    #[test]
    fn other_runs_and_other_data_are_not_ours() {
        let theirs = encode("run-2", 1, 1, 0);
        assert_eq!(decode(theirs.get(), "run-1"), None);
        assert_eq!(decode("{\"seq\":1}", "run-1"), None);
        assert_eq!(decode("[1,2]", "run-1"), None);
        assert_eq!(decode("\"text\"", "run-1"), None);
    }
}
