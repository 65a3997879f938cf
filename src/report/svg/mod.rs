//! Plain generated SVG charts for `report.html`: no script, no external
//! font or image, so a report opened offline from a CI artifact years later
//! still shows them.
//!
//! Two kinds of chart: [`percentile_chart`] (latency by percentile on
//! HdrHistogram's log-scaled "nines" axis) and [`line_chart`] (values over
//! the run's time). Both take plain [`Series`] so they know nothing of
//! histograms or of the run's data model, and both degrade to a framed
//! "no data" note rather than emitting `NaN` coordinates.

mod axis;
mod frame;
mod line;
mod percentile;

pub use line::{Guide, LineChart, line_chart};
pub use percentile::{nines, percentile_chart};

/// One named line of a chart: `(x, y)` points in data units.
///
/// Non-finite points are gaps: the line breaks there instead of dropping to
/// zero, so an interval without samples does not look like a fast one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Legend text (escaped when written).
    pub label: String,
    /// Points in data units, in increasing `x`.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from a label and points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.into(),
            points,
        }
    }

    /// Whether any point can be drawn.
    pub fn has_data(&self) -> bool {
        self.points
            .iter()
            .any(|&(x, y)| x.is_finite() && y.is_finite())
    }
}

/// Line colours, chosen to stay distinguishable for the common forms of
/// colour blindness (Okabe-Ito, with black replaced by a dark grey).
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#7f6d00", "#555555",
];

/// The colour of the `i`th series (cycling through [`PALETTE`]).
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Escapes text for XML/HTML element content and attribute values.
///
/// The colon of a `scheme://` is written as `&#58;`: the text reads and
/// copies the same, but the file never holds a literal `http://` or
/// `https://`, so "the report references no network resource" stays a rule
/// a plain `grep` can check, even when a profile or target names a URL.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match c {
            ':' if text[i + 1..].starts_with("//") => out.push_str("&#58;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    /// Parses `svg` as XML and returns the document's element names in order.
    pub fn element_names(svg: &str) -> Vec<String> {
        let doc = match roxmltree::Document::parse(svg) {
            Ok(doc) => doc,
            Err(e) => panic!("not well-formed XML ({e}):\n{svg}"),
        };
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name().to_owned())
            .collect()
    }

    /// Counts elements with the given class.
    pub fn count_class(svg: &str, class: &str) -> usize {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| {
                n.attribute("class")
                    .is_some_and(|c| c.split(' ').any(|c| c == class))
            })
            .count()
    }

    /// All text content of `<text>` elements.
    pub fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_controls() {
        assert_eq!(
            escape("a<b>&\"c\"'d'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;\u{fffd}"
        );
        assert_eq!(escape("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            escape("target = \"https://gws:8443/x\" a:b"),
            "target = &quot;https&#58;//gws:8443/x&quot; a:b"
        );
    }

    #[test]
    fn series_with_only_gaps_has_no_data() {
        assert!(!Series::new("x", vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)]).has_data());
        assert!(Series::new("x", vec![(0.0, 0.0)]).has_data());
    }
}
