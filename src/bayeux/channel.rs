//! Channel names and subscription patterns (`/foo/*`, `/foo/**`).

/// A parsed subscription: an exact channel or a trailing wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelPattern {
    /// Matches this channel only.
    Exact(String),
    /// `/foo/*`: stores `/foo/`; matches exactly one more segment.
    OneSegment(String),
    /// `/foo/**`: stores `/foo/`; matches one or more segments.
    AnySegments(String),
}

impl ChannelPattern {
    /// Parses a subscription; `None` when it is not a valid channel or
    /// pattern (empty, no leading `/`, empty segment, wildcard not last).
    pub fn parse(text: &str) -> Option<Self> {
        if !text.starts_with('/') || text.len() < 2 {
            return None;
        }
        let segments: Vec<&str> = text[1..].split('/').collect();
        let last = segments.len() - 1;
        for (i, seg) in segments.iter().enumerate() {
            if seg.is_empty() || (i != last && seg.contains('*')) {
                return None;
            }
        }
        let prefix_len = text.len() - segments[last].len();
        match segments[last] {
            "*" => Some(Self::OneSegment(text[..prefix_len].to_owned())),
            "**" => Some(Self::AnySegments(text[..prefix_len].to_owned())),
            s if s.contains('*') => None,
            _ => Some(Self::Exact(text.to_owned())),
        }
    }

    /// Whether an event on `channel` (a concrete name) is delivered to this pattern.
    pub fn matches(&self, channel: &str) -> bool {
        match self {
            Self::Exact(c) => c == channel,
            Self::OneSegment(prefix) => channel
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/')),
            Self::AnySegments(prefix) => channel
                .strip_prefix(prefix.as_str())
                .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/')),
        }
    }

    /// The pattern as written by the client.
    pub fn as_string(&self) -> String {
        match self {
            Self::Exact(c) => c.clone(),
            Self::OneSegment(p) => format!("{p}*"),
            Self::AnySegments(p) => format!("{p}**"),
        }
    }
}

/// Whether `channel` is a `/meta/**` channel (never delivered to clients).
pub fn is_meta(channel: &str) -> bool {
    channel.starts_with("/meta/")
}

/// Whether `channel` is a `/service/**` channel (never broadcast).
pub fn is_service(channel: &str) -> bool {
    channel.starts_with("/service/")
}

#[cfg(test)]
mod tests {
    use super::ChannelPattern as P;

    #[test]
    fn wildcards_match_per_spec() {
        let one = P::parse("/foo/*").unwrap();
        let any = P::parse("/foo/**").unwrap();
        assert!(one.matches("/foo/bar"));
        assert!(!one.matches("/foo/bar/baz"));
        assert!(!one.matches("/foo"));
        assert!(!one.matches("/foo/"));
        assert!(any.matches("/foo/bar"));
        assert!(any.matches("/foo/bar/baz"));
        assert!(!any.matches("/foo"));
        assert!(!any.matches("/foobar/x"));
        assert!(
            P::parse("/v2/me/channels")
                .unwrap()
                .matches("/v2/me/channels")
        );
        assert!(!P::parse("/v2/me").unwrap().matches("/v2/me/channels"));
    }

    #[test]
    fn rejects_invalid_patterns() {
        for bad in ["", "/", "foo", "/foo//bar", "/*/bar", "/foo/b*", "/foo/***"] {
            assert_eq!(P::parse(bad), None, "{bad}");
        }
        assert_eq!(P::parse("/foo/**").unwrap().as_string(), "/foo/**");
        assert!(P::parse("/**").unwrap().matches("/a/b"));
    }
}
