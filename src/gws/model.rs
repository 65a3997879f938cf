//! The two message models inside GWS "8.5".

use serde::{Deserialize, Serialize};

use super::operation::OperationName;

/// Which GWS message model a deployment speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageModel {
    /// 8.5.0: `/v2/me/interactions`, finish with `StopProcessing`.
    #[default]
    #[serde(rename = "8.5.0")]
    V850,
    /// 8.5.1: `/v2/me/interactions`, finish with `Complete`.
    #[serde(rename = "8.5.1")]
    V851,
}

impl std::fmt::Display for MessageModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MessageModel::V850 => "8.5.0",
            MessageModel::V851 => "8.5.1",
        })
    }
}

impl MessageModel {
    /// The operation that finishes an accepted interaction.
    pub fn finish_operation(self) -> OperationName {
        match self {
            MessageModel::V850 => OperationName::StopProcessing,
            MessageModel::V851 => OperationName::Complete,
        }
    }

    /// Picks the model from `GET /api/v2/diagnostics/version`'s `version`
    /// (`8.5.000.xx` -> 8.5.0, `8.5.1xx.xx` -> 8.5.1). Later versions use the
    /// split emails/chats model, which this type does not cover: `None`.
    pub fn from_version(version: &str) -> Option<MessageModel> {
        let mut parts = version.split('.');
        let (major, minor, patch) = (parts.next()?, parts.next()?, parts.next()?);
        if major != "8" || minor != "5" {
            return None;
        }
        let patch: u32 = patch.parse().ok()?;
        match patch {
            0..=99 => Some(MessageModel::V850),
            100..=199 => Some(MessageModel::V851),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_selects_the_model() {
        assert_eq!(
            MessageModel::from_version("8.5.000.62"),
            Some(MessageModel::V850)
        );
        assert_eq!(
            MessageModel::from_version("8.5.101.20"),
            Some(MessageModel::V851)
        );
        assert_eq!(MessageModel::from_version("8.5.200.50"), None);
        assert_eq!(MessageModel::from_version("garbage"), None);
        assert_eq!(
            MessageModel::V851.finish_operation(),
            OperationName::Complete
        );
    }
}
