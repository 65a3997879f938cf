//! Profile errors that point at the file, line, column and field, with the
//! offending line and a caret under it, the way rustc shows its errors.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Why a profile was rejected. Its `Display` is the whole message: file,
/// line:column, field path, what was expected, and the source line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError {
    /// The profile file.
    pub file: PathBuf,
    /// Where in the file, when it is known (flags have no line).
    pub location: Option<Location>,
    /// The field path, e.g. `behaviour.answer_delay` or `stages[1].agents`.
    pub field: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A position in the profile text, 1-based, with the text of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Line number, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
    /// The whole line, for the snippet.
    pub text: String,
    /// How many characters to underline.
    pub width: usize,
}

impl Location {
    /// The location of byte offset `span.start` in `source`.
    pub fn of(source: &str, span: Range<usize>) -> Location {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end].trim_end_matches('\r');
        let line = source[..line_start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let end = floor_char_boundary(source, span.end.clamp(start, line_end));
        let width = source[start..end].chars().count().max(1);
        // Errors are printed and logged: a password or a URL's userinfo on
        // the line must not go with them.
        match super::secrets::redact_line(text) {
            None => Location {
                line,
                column,
                text: text.to_string(),
                width,
            },
            Some(text) => {
                let chars = text.chars().count();
                let column = column.min(chars + 1);
                Location {
                    line,
                    column,
                    width: width.min(chars + 1 - column).max(1),
                    text,
                }
            }
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(loc) = &self.location {
            write!(f, ":{}:{}", loc.line, loc.column)?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "in `{field}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(loc) = &self.location {
            let gutter = loc.line.to_string().len();
            let pad = " ".repeat(gutter);
            let col_pad: String = loc
                .text
                .chars()
                .take(loc.column - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{pad} |\n{} | {}\n{pad} | {col_pad}{}",
                loc.line,
                loc.text,
                "^".repeat(loc.width)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ProfileError {}

impl From<ProfileError> for crate::error::Error {
    fn from(e: ProfileError) -> Self {
        crate::error::Error::Input(e.to_string())
    }
}

/// The profile text with its spanned parse tree, to turn spans into field
/// paths and field paths into lines.
pub(crate) struct Source<'a> {
    pub(crate) file: &'a Path,
    pub(crate) text: &'a str,
    pub(crate) tree: Spanned<DeTable<'a>>,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn render(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn parse_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Segment::Key(key.to_string()));
        }
        for idx in rest.split('[') {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

impl<'a> Source<'a> {
    /// Parses the text once; a syntax error names its line and, as far as
    /// the text shows it, its field.
    pub(crate) fn parse(file: &'a Path, text: &'a str) -> Result<Self, ProfileError> {
        let (tree, errors) = DeTable::parse_recoverable(text);
        let src = Source { file, text, tree };
        match errors.into_iter().next() {
            None => Ok(src),
            Some(e) => Err(src.syntax_error(e.span(), e.message().trim_end())),
        }
    }

    /// A syntax error: the parse tree is incomplete there, so the field comes
    /// from the text around the error (its table header and its key).
    fn syntax_error(&self, span: Option<Range<usize>>, message: &str) -> ProfileError {
        let span = span.map(|s| super::text::where_opened(self.text, s, message));
        let field = span
            .as_ref()
            .and_then(|s| super::text::field_at(self.text, s.start));
        let message = super::text::explain_syntax(field.as_deref(), message);
        let field = field.or_else(|| self.at_span(span.clone(), String::new()).field);
        ProfileError {
            file: self.file.to_path_buf(),
            location: span.map(|s| Location::of(self.text, s)),
            field,
            message,
        }
    }

    /// An error at a span, with the field path found from the parse tree.
    pub(crate) fn at_span(&self, span: Option<Range<usize>>, message: String) -> ProfileError {
        // serde reports a missing top-level field at the whole document or at
        // its empty start: there is no useful place to point at.
        let whole = span.as_ref().is_some_and(|s| {
            s.start == 0
                && (s.end >= self.text.trim_end().len()
                    || (s.end == 0 && message.starts_with("missing field")))
        });
        let span = if whole { None } else { span };
        let field = span.as_ref().and_then(|span| {
            let mut path = Vec::new();
            find_in_table(self.tree.get_ref(), span, &mut path);
            (!path.is_empty()).then(|| render(&path))
        });
        ProfileError {
            file: self.file.to_path_buf(),
            location: span.map(|s| Location::of(self.text, s)),
            message: super::secrets::redact_message(field.as_deref(), message),
            field,
        }
    }

    /// An error about a field, located at the field's value in the file (or
    /// at its closest written parent when the field itself is absent).
    pub(crate) fn at_field(&self, field: &str, message: String) -> ProfileError {
        let span = self.span_of(field);
        ProfileError {
            file: self.file.to_path_buf(),
            location: span.map(|s| Location::of(self.text, s)),
            field: Some(field.to_string()),
            message,
        }
    }

    /// True when the field is written in the file (not a default).
    pub(crate) fn is_written(&self, field: &str) -> bool {
        let path = parse_path(field);
        lookup(&self.tree, &path).1 == path.len()
    }

    fn span_of(&self, field: &str) -> Option<Range<usize>> {
        lookup(&self.tree, &parse_path(field)).0
    }
}

/// The span of the deepest written value along `path`, and how many segments were found.
fn lookup(tree: &Spanned<DeTable<'_>>, path: &[Segment]) -> (Option<Range<usize>>, usize) {
    let mut span = None;
    let mut depth = 0;
    let mut table = Some(tree.get_ref());
    let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
    for seg in path {
        let value = match (seg, table, array) {
            (Segment::Key(k), Some(t), _) => t
                .iter()
                .find(|(key, _)| key.get_ref().as_ref() == k.as_str())
                .map(|(key, v)| (key.span(), v)),
            (Segment::Index(i), _, Some(items)) => items.get(*i).map(|v| (v.span(), v)),
            _ => None,
        };
        let Some((key_span, value)) = value else {
            break;
        };
        depth += 1;
        table = None;
        array = None;
        match value.get_ref() {
            DeValue::Table(t) => {
                // A table's own span may cover its whole body; its key is the clearer place.
                span = Some(key_span);
                table = Some(t);
            }
            DeValue::Array(a) => {
                span = Some(value.span());
                array = Some(a);
            }
            _ => span = Some(value.span()),
        }
    }
    (span, depth)
}

fn find_in_table(table: &DeTable<'_>, span: &Range<usize>, path: &mut Vec<Segment>) -> bool {
    for (key, value) in table.iter() {
        path.push(Segment::Key(key.get_ref().to_string()));
        if contains(&key.span(), span) || find_in_value(value, span, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_value(
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    path: &mut Vec<Segment>,
) -> bool {
    match value.get_ref() {
        DeValue::Table(t) => find_in_table(t, span, path) || contains(&value.span(), span),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                if find_in_value(item, span, path) {
                    return true;
                }
                path.pop();
            }
            contains(&value.span(), span)
        }
        _ => contains(&value.span(), span),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_columns_from_one() {
        let text = "a = 1\nbb = \"x\"\n";
        let loc = Location::of(text, 11..14);
        assert_eq!((loc.line, loc.column, loc.width), (2, 6, 3));
        assert_eq!(loc.text, "bb = \"x\"");
    }

    #[test]
    fn spans_map_to_field_paths() {
        let text = "[behaviour]\nanswer_delay = \"30\"\n\n[[stages]]\nagents = 1\n[[stages]]\nagents = 2\n";
        let src = Source::parse(Path::new("p.toml"), text).unwrap();
        let at = text.find("\"30\"").unwrap();
        let err = src.at_span(Some(at..at + 4), "bad".into());
        assert_eq!(err.field.as_deref(), Some("behaviour.answer_delay"));
        let at = text.rfind("2").unwrap();
        let err = src.at_span(Some(at..at + 1), "bad".into());
        assert_eq!(err.field.as_deref(), Some("stages[1].agents"));
        assert_eq!(err.location.unwrap().line, 7);
        let err = src.at_field("stages[0].agents", "bad".into());
        assert_eq!(err.location.unwrap().line, 5);
        assert!(src.is_written("behaviour.answer_delay"));
        assert!(!src.is_written("behaviour.handle_time"));
    }
}
