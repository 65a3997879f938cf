//! One agent's cookie jar and caller headers.

use std::sync::Mutex;

use hyper::header::{COOKIE, HeaderMap, HeaderName, HeaderValue, SET_COOKIE};

/// Per-agent HTTP state: cookies received (any name, `name=value` only) and
/// headers the caller wants on every request (Basic auth, CSRF token).
///
/// Small (a few hundred bytes) and `Send + Sync`: the connect loop and the
/// agent's REST calls use it concurrently.
#[derive(Debug, Default)]
pub struct HttpSession {
    inner: Mutex<SessionState>,
}

#[derive(Debug, Default)]
struct SessionState {
    cookies: Vec<(String, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl HttpSession {
    /// An empty session: no cookies, no extra headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a header sent on every request, replacing any of the same name.
    pub fn set_header(&self, name: HeaderName, value: HeaderValue) {
        let mut st = self.lock();
        st.headers.retain(|(n, _)| *n != name);
        // Exact: an agent has one or two headers for life, and the default
        // growth to four would cost about 200 bytes per agent.
        st.headers.reserve_exact(1);
        st.headers.push((name, value));
    }

    /// The current value of a cookie, if the server set it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.lock()
            .cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// Sets a cookie as if the server had sent it.
    pub fn set_cookie(&self, name: &str, value: &str) {
        let mut st = self.lock();
        st.store(name, value);
    }

    /// Writes the caller headers and the `Cookie` header into `headers`.
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        let st = self.lock();
        for (n, v) in &st.headers {
            headers.insert(n.clone(), v.clone());
        }
        if let Some(value) = st.cookie_header() {
            headers.insert(COOKIE, value);
        }
    }

    /// Writes the same headers as [`HttpSession::apply`] as HTTP/1.1 header
    /// lines (`Name: value\r\n`), for a hand-written request head.
    pub(crate) fn write_headers(&self, out: &mut Vec<u8>) {
        let st = self.lock();
        for (name, value) in &st.headers {
            out.extend_from_slice(name.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        // Written in place, no HeaderValue: this runs on every connect.
        if st.sendable_cookies() {
            out.extend_from_slice(b"cookie: ");
            st.write_cookie_line(out);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Absorbs every `Set-Cookie` of a response.
    pub(crate) fn absorb(&self, headers: &HeaderMap) {
        let mut values = headers.get_all(SET_COOKIE).iter().peekable();
        if values.peek().is_none() {
            return;
        }
        let mut st = self.lock();
        for value in values {
            let Ok(text) = value.to_str() else { continue };
            let mut parts = text.split(';');
            let Some((name, val)) = parts.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let (name, val) = (name.trim(), val.trim().trim_matches('"'));
            if name.is_empty() {
                continue;
            }
            let expired = parts.any(|attr| {
                let attr = attr.trim();
                attr.eq_ignore_ascii_case("max-age=0")
                    || attr.split_once('=').is_some_and(|(k, v)| {
                        k.trim().eq_ignore_ascii_case("max-age") && v.trim().starts_with('-')
                    })
            });
            if expired {
                st.cookies.retain(|(n, _)| n != name);
            } else {
                st.store(name, val);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SessionState> {
        // A poisoned jar only means another task panicked mid-update of a Vec
        // of strings; the data is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SessionState {
    /// `a=1; b=2`, or `None` without cookies (or with one a caller set to
    /// something a header cannot carry).
    fn cookie_header(&self) -> Option<HeaderValue> {
        if !self.sendable_cookies() {
            return None;
        }
        let mut line = Vec::with_capacity(64);
        self.write_cookie_line(&mut line);
        HeaderValue::from_bytes(&line).ok()
    }

    /// Whether there are cookies and a header can carry every one of them.
    fn sendable_cookies(&self) -> bool {
        !self.cookies.is_empty()
            && self
                .cookies
                .iter()
                .all(|(n, v)| fits_header(n) && fits_header(v))
    }

    /// Appends `a=1; b=2`.
    fn write_cookie_line(&self, out: &mut Vec<u8>) {
        for (i, (n, v)) in self.cookies.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(n.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v.as_bytes());
        }
    }

    fn store(&mut self, name: &str, value: &str) {
        if let Some(slot) = self.cookies.iter_mut().find(|(n, _)| n == name) {
            value.clone_into(&mut slot.1);
        } else {
            // Exact, as for the headers: two or three cookies per agent.
            self.cookies.reserve_exact(1);
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }
}

/// Whether `text` can sit in a header value as is: no control characters
/// (the test `HeaderValue` makes, but for tabs, which no cookie needs).
fn fits_header(text: &str) -> bool {
    !text.bytes().any(|b| b < 0x20 || b == 0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_cookies(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(SET_COOKIE, HeaderValue::from_str(l).unwrap());
        }
        h
    }

    #[test]
    fn absorbs_replaces_and_deletes_cookies() {
        let s = HttpSession::new();
        s.absorb(&set_cookies(&[
            "BAYEUX_BROWSER=abc; Path=/; HttpOnly",
            "JSESSIONID=x1; Path=/api",
        ]));
        assert_eq!(s.cookie("BAYEUX_BROWSER").as_deref(), Some("abc"));
        assert_eq!(s.cookie("JSESSIONID").as_deref(), Some("x1"));
        s.absorb(&set_cookies(&["JSESSIONID=x2"]));
        assert_eq!(s.cookie("JSESSIONID").as_deref(), Some("x2"));
        s.absorb(&set_cookies(&["BAYEUX_BROWSER=; Max-Age=0"]));
        assert_eq!(s.cookie("BAYEUX_BROWSER"), None);
        let mut h = HeaderMap::new();
        s.apply(&mut h);
        assert_eq!(h.get(COOKIE).unwrap(), "JSESSIONID=x2");
    }

    #[test]
    fn headers_replace_same_name() {
        let s = HttpSession::new();
        let name = HeaderName::from_static("x-csrf-token");
        s.set_header(name.clone(), HeaderValue::from_static("a"));
        s.set_header(name.clone(), HeaderValue::from_static("b"));
        let mut h = HeaderMap::new();
        s.apply(&mut h);
        assert_eq!(h.get_all(&name).iter().count(), 1);
        assert_eq!(h.get(&name).unwrap(), "b");
        assert!(h.get(COOKIE).is_none());
    }

    #[test]
    fn header_lines_match_the_header_map() {
        let s = HttpSession::new();
        s.set_header(
            HeaderName::from_static("authorization"),
            HeaderValue::from_static("Basic YTpi"),
        );
        s.absorb(&set_cookies(&["JSESSIONID=x1", "BAYEUX_BROWSER=b2"]));
        let mut out = Vec::new();
        s.write_headers(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "authorization: Basic YTpi\r\ncookie: JSESSIONID=x1; BAYEUX_BROWSER=b2\r\n"
        );
        s.set_cookie("bad", "a\r\nInjected: 1");
        let mut out = Vec::new();
        s.write_headers(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "authorization: Basic YTpi\r\n",
            "a cookie no header can carry is not sent at all"
        );
    }
}
