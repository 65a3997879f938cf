//! The profile's secrets: where the agents' password comes from (written in
//! the profile, an environment variable, a file, or a flag naming one of
//! those), and the forms fit to print or store, with every password replaced
//! by [`REDACTED`] and URLs without their userinfo. The outputs of a run are
//! CI artifacts: nothing secret may reach them.

use std::env::VarError;
use std::io::Read as _;
use std::path::Path;

use super::Profile;
use super::validate::Issue;
use crate::error::Error;

/// What every password becomes in printed and stored profiles.
pub const REDACTED: &str = "***";

/// Longest password accepted from any source (a Basic auth header carries it
/// on every request).
pub(crate) const MAX_PASSWORD_BYTES: usize = 1024;

impl Profile {
    /// This profile fit to print or store: every password replaced by
    /// [`REDACTED`], URLs without userinfo. Where the password comes from
    /// (`password_env`, `password_file`) stays, so the text still says how
    /// to repeat the run.
    pub fn redacted(&self) -> Profile {
        let mut p = self.clone();
        REDACTED.clone_into(&mut p.agents.password);
        REDACTED.clone_into(&mut p.simulator.password);
        p.bayeux.redact(REDACTED);
        for url in [&mut p.target.url, &mut p.target.injector_url]
            .into_iter()
            .flatten()
            .chain(&mut p.target.urls)
        {
            *url = url_without_userinfo(url);
        }
        p
    }

    /// Reads the agents' password from the source the profile names
    /// (`password_env` wins over `password_file`, which wins over
    /// `password`); the embedded simulator's password follows it unless the
    /// profile wrote one.
    pub(crate) fn read_password(&mut self) -> Result<(), Issue> {
        let agents = &mut self.agents;
        if let Some(name) = &agents.password_env {
            agents.password = from_env(name).map_err(|m| Issue {
                field: "agents.password_env".into(),
                message: m,
            })?;
        } else if let Some(path) = &agents.password_file {
            agents.password = from_file(path).map_err(|m| Issue {
                field: "agents.password_file".into(),
                message: m,
            })?;
        }
        self.follow_password();
        Ok(())
    }

    /// `--password-env NAME` or `--password-file PATH`: the flag wins over
    /// whatever the profile says. Errors name the flag (exit 2).
    pub fn use_password_flags(
        &mut self,
        env: Option<&str>,
        file: Option<&Path>,
    ) -> Result<(), Error> {
        let (flag, result) = match (env, file) {
            (Some(name), _) => {
                self.agents.password_env = Some(name.to_string());
                self.agents.password_file = None;
                ("--password-env", from_env(name))
            }
            (None, Some(path)) => {
                self.agents.password_env = None;
                self.agents.password_file = Some(path.to_path_buf());
                ("--password-file", from_file(path))
            }
            (None, None) => return Ok(()),
        };
        self.agents.password = result.map_err(|m| Error::input(format!("{flag}: {m}")))?;
        self.follow_password();
        Ok(())
    }

    /// The embedded simulator's users have the agents' password unless the
    /// profile wrote `simulator.password`.
    pub(crate) fn follow_password(&mut self) {
        if self.target.is_embedded() && !self.simulator_password_written {
            self.simulator.password.clone_from(&self.agents.password);
        }
    }
}

fn from_env(name: &str) -> Result<String, String> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(format!(
            "invalid environment variable name {name:?}: expected a name such as \"AGENTLOAD_PASSWORD\""
        ));
    }
    let value = match std::env::var(name) {
        Ok(v) => v,
        Err(VarError::NotPresent) => {
            return Err(format!(
                "the environment variable {name} is not set; set it to the agents' password (export {name}=...)"
            ));
        }
        Err(VarError::NotUnicode(_)) => {
            return Err(format!(
                "the environment variable {name} is not valid UTF-8; set it to the agents' password as text"
            ));
        }
    };
    checked(value, &format!("the environment variable {name}"))
}

fn from_file(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        // One byte over the longest password with its line end tells "too long" apart.
        .and_then(|f| {
            f.take(MAX_PASSWORD_BYTES as u64 + 3)
                .read_to_end(&mut bytes)
        })
        .map_err(|e| {
            format!(
                "cannot read the password file {shown} ({e}); check the path and its permissions"
            )
        })?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(format!(
            "the password file {shown} is not UTF-8 text; expected the password alone on one line"
        ));
    };
    let line = text
        .strip_suffix('\n')
        .map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t));
    if line.contains(['\n', '\r']) {
        return Err(format!(
            "the password file {shown} holds more than one line; expected the password alone on one line"
        ));
    }
    checked(line.to_string(), &format!("the password file {shown}"))
}

fn checked(password: String, what: &str) -> Result<String, String> {
    if password.is_empty() {
        return Err(format!("{what} is empty; expected the agents' password"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "{what} holds more than {MAX_PASSWORD_BYTES} bytes; expected the agents' password"
        ));
    }
    Ok(password)
}

/// `url` without its userinfo (`http://user:pw@host/x` -> `http://host/x`):
/// the form every printed or stored URL takes. Text that is not a URL keeps
/// everything but what precedes an `@` in its first segment.
pub fn url_without_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").map_or(("", url), |(s, r)| (s, r));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rfind('@') {
        None => url.to_string(),
        Some(at) if scheme.is_empty() => format!("{}{tail}", &authority[at + 1..]),
        Some(at) => format!("{scheme}://{}{tail}", &authority[at + 1..]),
    }
}

/// True when `url` carries userinfo (`user:pw@`).
pub(crate) fn has_userinfo(url: &str) -> bool {
    url_without_userinfo(url) != url
}

/// A line of the profile fit to show under an error: a password's value
/// replaced, URLs without userinfo. `None` when there is nothing to hide.
pub(crate) fn redact_line(line: &str) -> Option<String> {
    if let Some(eq) = password_assignment(line) {
        return Some(format!("{} \"{REDACTED}\"", &line[..=eq]));
    }
    // Every quoted value that carries userinfo loses it, URL or not.
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut changed = false;
    while let Some(open) = rest.find(['"', '\'']) {
        let quote = &rest[open..=open];
        let (before, after) = rest.split_at(open + 1);
        out.push_str(before);
        let end = after.find(quote).unwrap_or(after.len());
        let value = &after[..end];
        let shown = url_without_userinfo(value);
        changed |= shown != value;
        out.push_str(&shown);
        rest = &after[end..];
        if let Some(close) = rest.strip_prefix(quote) {
            out.push_str(quote);
            rest = close;
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Where the `=` of a `password = ...` assignment is in `line` (also inside
/// an inline table), not counting `password_env` or `password_file`.
fn password_assignment(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = line[from..].find("password") {
        let end = from + i + "password".len();
        let next = line[end..].trim_start_matches([' ', '\t', '"', '\'']);
        if next.starts_with('=') {
            return Some(line.len() - next.len());
        }
        from = end;
    }
    None
}

/// A parse error's message about a password field, with the values it
/// quotes (`` invalid type: integer `1234` ``) hidden.
pub(crate) fn redact_message(field: Option<&str>, message: String) -> String {
    let about_password = field
        .and_then(|f| f.rsplit('.').next())
        .is_some_and(|last| last == "password");
    if !about_password {
        return message;
    }
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { REDACTED } else { part })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_stripped_from_urls() {
        assert_eq!(
            url_without_userinfo("http://u:pw@host:8080/gws?x=1"),
            "http://host:8080/gws?x=1"
        );
        assert_eq!(url_without_userinfo("https://host/a@b"), "https://host/a@b");
        assert_eq!(url_without_userinfo("u:pw@host/x"), "host/x");
        assert!(has_userinfo("http://a@b"));
        assert!(!has_userinfo("http://b"));
    }

    #[test]
    fn lines_with_secrets_are_redacted() {
        assert_eq!(
            redact_line("password = \"hunter2\"").as_deref(),
            Some("password = \"***\"")
        );
        assert_eq!(
            redact_line("agents = { count = 1, \"password\" = 'x' }").as_deref(),
            Some("agents = { count = 1, \"password\" = \"***\"")
        );
        assert_eq!(redact_line("password_env = \"PW\""), None);
        assert_eq!(
            redact_line("url = \"http://me:hunter2@gws:80/x\"").as_deref(),
            Some("url = \"http://gws:80/x\"")
        );
        assert_eq!(redact_line("url = \"http://gws\""), None);
        assert_eq!(
            redact_line("url = 'me:hunter2@gws' # x@y").as_deref(),
            Some("url = 'gws' # x@y")
        );
        assert_eq!(
            redact_message(
                Some("agents.password"),
                "invalid type: integer `1234`, expected a string".into()
            ),
            "invalid type: integer `***`, expected a string"
        );
    }
}
