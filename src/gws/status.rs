//! The `statusCode` every GWS REST reply carries.

use serde::{Deserialize, Serialize};

/// A GWS `statusCode` with its documented meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StatusCode(pub u32);

impl StatusCode {
    /// 0: the operation succeeded.
    pub const OK: StatusCode = StatusCode(0);
    /// 1: a required parameter is missing.
    pub const MISSING_PARAMETER: StatusCode = StatusCode(1);
    /// 2: the operation is not valid in the current state.
    pub const INVALID_STATE: StatusCode = StatusCode(2);
    /// 3: forbidden (also the CSRF rejection).
    pub const FORBIDDEN: StatusCode = StatusCode(3);
    /// 4: internal error.
    pub const INTERNAL_ERROR: StatusCode = StatusCode(4);
    /// 5: the user has no permission.
    pub const NO_PERMISSION: StatusCode = StatusCode(5);
    /// 6: the resource (interaction, channel...) was not found.
    pub const NOT_FOUND: StatusCode = StatusCode(6);
    /// 7: partial success (e.g. some channels of a session start failed).
    pub const PARTIAL_SUCCESS: StatusCode = StatusCode(7);
    /// 20: not authenticated.
    pub const NOT_AUTHENTICATED: StatusCode = StatusCode(20);

    /// True for 0 (and 7, partial success).
    pub fn is_success(self) -> bool {
        self == StatusCode::OK || self == StatusCode::PARTIAL_SUCCESS
    }

    /// The documented meaning, for messages.
    pub fn meaning(self) -> &'static str {
        match self.0 {
            0 => "ok",
            1 => "missing parameter",
            2 => "operation invalid in the current state",
            3 => "forbidden",
            4 => "internal error",
            5 => "no permission",
            6 => "not found",
            7 => "partial success",
            20 => "not authenticated",
            _ => "unknown status code",
        }
    }
}

/// Reads only `statusCode` out of a REST reply, skipping everything else.
pub fn decode_status(body: &[u8]) -> Result<StatusCode, serde_json::Error> {
    #[derive(Deserialize)]
    struct Reply {
        #[serde(rename = "statusCode")]
        status_code: StatusCode,
    }
    serde_json::from_slice::<Reply>(body).map(|r| r.status_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_read_from_a_reply_with_other_fields() {
        let s = decode_status(br#"{"statusMessage":"x","statusCode":2}"#).unwrap();
        assert_eq!(s, StatusCode::INVALID_STATE);
        assert!(!s.is_success());
        assert!(decode_status(b"{}").is_err());
    }
}
