//! The profile as text, before it is a tree: read with a size cap, decoded
//! as UTF-8 (saying where it is not), and, for a syntax error the parse tree
//! cannot place, the field the text around it is about.

use std::io::Read as _;
use std::ops::Range;
use std::path::Path;

use super::error::{Location, ProfileError};

/// Largest profile read: a profile is a few kilobytes, and a file of
/// gigabytes (or `/dev/zero`) must not be read into memory.
pub const MAX_PROFILE_BYTES: u64 = 16 << 20;

fn error(
    file: &Path,
    location: Option<Location>,
    field: Option<String>,
    message: String,
) -> ProfileError {
    ProfileError {
        file: file.to_path_buf(),
        location,
        field,
        message,
    }
}

/// The file's bytes, at most [`MAX_PROFILE_BYTES`].
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, ProfileError> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| {
            error(
                path,
                None,
                None,
                format!("cannot read the profile ({e}); check the path"),
            )
        })?;
    if bytes.len() as u64 > MAX_PROFILE_BYTES {
        return Err(error(
            path,
            None,
            None,
            format!(
                "the file is larger than {} MiB, but a profile is a few kilobytes of TOML; check the path",
                MAX_PROFILE_BYTES >> 20
            ),
        ));
    }
    Ok(bytes)
}

/// The bytes as text; the error points at the first byte that is not UTF-8.
pub(crate) fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, ProfileError> {
    let e = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e,
    };
    let at = e.valid_up_to();
    let shown = String::from_utf8_lossy(bytes);
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let message = format!(
        "the profile is not UTF-8 text: byte 0x{:02X} here is not valid UTF-8{}; save the file as UTF-8",
        bytes[at],
        if utf16 {
            " (the file looks like UTF-16)"
        } else {
            ""
        }
    );
    Err(error(
        path,
        Some(Location::of(&shown, at..at + 1)),
        field_at(&shown, at),
        message,
    ))
}

/// The field the text at byte `offset` belongs to, from the table header
/// above it and the key on its line: `agents.count`, `stages[1].duration`,
/// or the table itself for a header line.
pub(crate) fn field_at(text: &str, offset: usize) -> Option<String> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or_default();
    let mut headers = Headers::default();
    for above in text[..line_start].lines() {
        headers.see(above);
    }
    if line.trim_start().starts_with('[') {
        headers.see(line);
        return headers.current;
    }
    let key = key_of(line);
    match (headers.current, key) {
        (Some(table), Some(key)) => Some(format!("{table}.{key}")),
        (table, key) => table.or(key),
    }
}

/// The table headers met so far, with the index of each array of tables.
#[derive(Default)]
struct Headers {
    current: Option<String>,
    arrays: std::collections::HashMap<String, usize>,
}

impl Headers {
    fn see(&mut self, line: &str) {
        let line = line.trim();
        let (array, inner) = if let Some(rest) = line.strip_prefix("[[") {
            (true, rest.split("]]").next().unwrap_or_default())
        } else if let Some(rest) = line.strip_prefix('[') {
            (false, rest.split(']').next().unwrap_or_default())
        } else {
            return;
        };
        let names: Vec<String> = inner.split('.').map(unquote).collect();
        // `[stages.x]` below `[[stages]]` is a table of the last stage.
        let mut path = String::new();
        for (i, name) in names.iter().enumerate() {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(name);
            let last = i + 1 == names.len();
            if array && last {
                let n = self.arrays.entry(path.clone()).or_insert(0);
                path = format!("{path}[{n}]");
                *n += 1;
            } else if let Some(n) = self.arrays.get(&path) {
                path = format!("{path}[{}]", n.saturating_sub(1));
            }
        }
        self.current = Some(path);
    }
}

fn unquote(name: &str) -> String {
    name.trim().trim_matches(['"', '\'']).to_string()
}

/// The (dotted) key of a `key = value` line.
fn key_of(line: &str) -> Option<String> {
    let (key, _) = line.split_once('=')?;
    let key: Vec<String> = key.split('.').map(unquote).collect();
    let valid = key.iter().all(|k| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
    });
    valid.then(|| key.join("."))
}

/// A value left open (an array without `]`, an inline table without `}`, a
/// string without its closing quotes) shows as an error where the next line
/// begins, or at the end of the file: point at the end of the last line
/// with content before it, where the value was opened, instead.
pub(crate) fn where_opened(text: &str, span: Range<usize>, message: &str) -> Range<usize> {
    let unfinished = ["`,`", "`]`", "`}`", "`\"`", "`'`"]
        .iter()
        .any(|q| message.ends_with(&format!("expected {q}")));
    let start = span.start.min(text.len());
    let at_line_start = start == 0 || text.as_bytes()[start - 1] == b'\n' || start == text.len();
    if !unfinished || !at_line_start {
        return span;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let mut end = line_start;
    for line in text[..line_start].lines().rev() {
        // `end` walks back over this line and its newline.
        let content = line.trim_end();
        end -= line.len() + 1;
        if !(content.trim_start().is_empty() || content.trim_start().starts_with('#')) {
            let last = end + content.len();
            return last.saturating_sub(1)..last;
        }
    }
    span
}

/// The parser's message, with what to do about the usual mistakes.
pub(crate) fn explain_syntax(field: Option<&str>, message: &str) -> String {
    let name = field.map_or("this key", |f| f);
    if message == "duplicate key" {
        return format!("duplicate key: `{name}` is written twice; keep one of them");
    }
    if message.contains("string") && message.contains("expected `") {
        return format!(
            "{message}: a string is not closed; end it with the same quote on the same line (or use \"\"\" for text over several lines)"
        );
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_from_headers_and_keys() {
        let text = "name = \"x\"\n[agents]\ncount = 5\n[[stages]]\nagents = 1\n[[stages]]\nduration = \"1s\"\n[stages.extra]\na.b = 1\n[agents.capacity]\n";
        let at = |needle: &str| field_at(text, text.find(needle).unwrap());
        assert_eq!(at("name").as_deref(), Some("name"));
        assert_eq!(at("count").as_deref(), Some("agents.count"));
        assert_eq!(at("agents = 1").as_deref(), Some("stages[0].agents"));
        assert_eq!(at("duration").as_deref(), Some("stages[1].duration"));
        assert_eq!(at("a.b").as_deref(), Some("stages[1].extra.a.b"));
        assert_eq!(at("[agents.cap").as_deref(), Some("agents.capacity"));
    }

    #[test]
    fn a_value_left_open_is_found_where_it_opened() {
        let text = "[agents]\nchannels = [\"email\"\n\n# note\n[[stages]]\n";
        let at = text.find("[[stages]]").unwrap();
        let span = where_opened(text, at..at + 1, "missing comma, expected `,`");
        assert_eq!(&text[span.clone()], "\"");
        assert_eq!(
            field_at(text, span.start).as_deref(),
            Some("agents.channels")
        );
        // Other errors stay where the parser found them.
        assert_eq!(where_opened(text, at..at + 1, "duplicate key"), at..at + 1);
    }

    #[test]
    fn invalid_utf8_is_located() {
        let bytes = b"name = \"x\"\n[agents]\ncount = \"\xff\"\n";
        let err = decode(Path::new("p.toml"), bytes).unwrap_err();
        let loc = err.location.clone().unwrap();
        assert_eq!((loc.line, loc.column), (3, 10));
        assert_eq!(err.field.as_deref(), Some("agents.count"));
        assert!(
            err.message.contains("not UTF-8") && err.message.contains("0xFF"),
            "{err}"
        );
    }
}
