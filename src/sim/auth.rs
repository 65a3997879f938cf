//! Who is calling: HTTP Basic users `agent1..agentN`, the `JSESSIONID` HTTP
//! session and the optional CSRF token bound to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use base64::Engine as _;
use rand::Rng;

/// The simulated user directory: `agent1` .. `agentN`, one password.
pub struct Users {
    password: String,
    names: Vec<Arc<str>>,
}

impl Users {
    /// `count` users sharing `password`.
    pub fn new(count: u32, password: String) -> Self {
        Users {
            password,
            names: (1..=count)
                .map(|n| Arc::from(format!("agent{n}")))
                .collect(),
        }
    }

    /// The agent index of a user name (`agent7` -> 6), any letter case.
    pub fn index_of(&self, user: &str) -> Option<u32> {
        let prefix = user.get(..5)?;
        if !prefix.eq_ignore_ascii_case("agent") {
            return None;
        }
        let n: u32 = user[5..].parse().ok()?;
        (n >= 1 && n as usize <= self.names.len()).then(|| n - 1)
    }

    /// The canonical name of an agent (`agent7`), shared, for Bayeux principals.
    pub fn name(&self, agent: u32) -> Option<&Arc<str>> {
        self.names.get(agent as usize)
    }

    /// Checks `Authorization: Basic ...`; the agent index when the user exists and the password matches.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<u32> {
        let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let text = std::str::from_utf8(&decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        if password != self.password {
            return None;
        }
        self.index_of(user)
    }
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// A server-side HTTP session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The agent it belongs to.
    pub agent: u32,
    /// The CSRF token handed out for it.
    pub csrf: Arc<str>,
}

/// The request's caller, put into request extensions by the auth layer.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Agent index.
    pub agent: u32,
    /// Its `JSESSIONID`.
    pub session_id: Arc<str>,
}

/// Most HTTP sessions one agent keeps: a client that ignores cookies makes
/// a new session per request, and must not grow the simulator without bound.
pub const SESSIONS_PER_AGENT: usize = 4;

#[derive(Default)]
struct SessionMap {
    by_id: HashMap<Arc<str>, WebSession>,
    by_agent: HashMap<u32, std::collections::VecDeque<Arc<str>>>,
}

/// Every live `JSESSIONID` (at most [`SESSIONS_PER_AGENT`] per agent; the oldest goes first).
#[derive(Default)]
pub struct Sessions {
    map: Mutex<SessionMap>,
}

pub(super) fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02X}", rng.random::<u8>()))
        .collect()
}

impl Sessions {
    /// The caller's session when its cookie names a live one of the same
    /// agent; otherwise a new one (second value true).
    pub fn resolve(&self, agent: u32, cookie_id: Option<&str>) -> (Arc<str>, WebSession, bool) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((k, s)) = cookie_id.and_then(|id| map.by_id.get_key_value(id))
            && s.agent == agent
        {
            return (k.clone(), s.clone(), false);
        }
        let id: Arc<str> = Arc::from(random_hex(16));
        let session = WebSession {
            agent,
            csrf: Arc::from(random_hex(16)),
        };
        map.by_id.insert(id.clone(), session.clone());
        let owned = map.by_agent.entry(agent).or_default();
        owned.push_back(id.clone());
        if owned.len() > SESSIONS_PER_AGENT
            && let Some(oldest) = owned.pop_front()
        {
            map.by_id.remove(&oldest);
        }
        (id, session, true)
    }

    /// Ends a session (`EndContactCenterSession`).
    pub fn end(&self, id: &str) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.by_id.remove(id)
            && let Some(owned) = map.by_agent.get_mut(&s.agent)
        {
            owned.retain(|o| &**o != id);
        }
    }

    /// Live sessions.
    pub fn len(&self) -> usize {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .by_id
            .len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(user: &str, pass: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn users_and_passwords() {
        let u = Users::new(5, "pw".into());
        assert_eq!(u.authenticate(&basic("agent1", "pw")), Some(0));
        assert_eq!(u.authenticate(&basic("Agent5", "pw")), Some(4));
        assert_eq!(u.authenticate(&basic("agent6", "pw")), None);
        assert_eq!(u.authenticate(&basic("agent0", "pw")), None);
        assert_eq!(u.authenticate(&basic("agent1", "nope")), None);
        assert_eq!(u.authenticate(&HeaderMap::new()), None);
        let mut junk = HeaderMap::new();
        junk.insert(AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(u.authenticate(&junk), None);
    }

    #[test]
    fn sessions_are_per_agent() {
        let s = Sessions::default();
        for _ in 0..10 {
            s.resolve(5, None);
        }
        assert_eq!(
            s.len(),
            SESSIONS_PER_AGENT,
            "cookie-less clients must not grow sessions without bound"
        );
        let (id, _, new) = s.resolve(0, None);
        assert!(new);
        let (same, _, new) = s.resolve(0, Some(&id));
        assert!(!new);
        assert_eq!(same, id);
        let (other, _, new) = s.resolve(1, Some(&id));
        assert!(new, "another agent's cookie must not be reused");
        assert_ne!(other, id);
        s.end(&id);
        assert!(s.resolve(0, Some(&id)).2);
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static("a=1; JSESSIONID=XYZ; b=2"));
        assert_eq!(cookie(&h, "JSESSIONID"), Some("XYZ"));
    }
}
