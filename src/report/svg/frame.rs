//! The drawing shared by every chart: frame, grid, ticks, axis labels,
//! legend, guide lines and the data lines themselves.
//!
//! The `<svg>` element carries no `xmlns` attribute: the charts are inlined
//! in HTML, where the parser puts `<svg>` in the SVG namespace by itself, and
//! the report must not contain a single `http://` string (it is checked for
//! network references).

use std::fmt::Write as _;

use super::axis::Axis;
use super::{Series, colour, escape};
use crate::report::svg::line::Guide;

const WIDTH: f64 = 620.0;
const PLOT_HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
const BOTTOM: f64 = 48.0;
const TITLE_HEIGHT: f64 = 28.0;
const LEGEND_ROW: f64 = 18.0;
/// Rough advance width of one 12 px sans-serif character, for laying out
/// the legend without font metrics.
const CHAR_WIDTH: f64 = 7.0;

/// What a chart draws, in data units already mapped onto its axes.
pub(crate) struct Plot<'a> {
    pub title: &'a str,
    pub class: &'a str,
    pub x: Axis,
    pub y: Axis,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub series: &'a [Series],
    pub guides: &'a [Guide],
}

struct Layout {
    height: f64,
    top: f64,
    legend: Vec<(f64, f64)>,
}

fn layout(series: &[Series]) -> Layout {
    let mut legend = Vec::with_capacity(series.len());
    let (mut x, mut row) = (LEFT, 0.0);
    for s in series {
        let w = 30.0 + s.label.chars().count() as f64 * CHAR_WIDTH + 18.0;
        if x + w > WIDTH - RIGHT && x > LEFT {
            x = LEFT;
            row += 1.0;
        }
        legend.push((x, TITLE_HEIGHT + row * LEGEND_ROW));
        x += w;
    }
    let rows = if series.is_empty() { 0.0 } else { row + 1.0 };
    let top = TITLE_HEIGHT + rows * LEGEND_ROW + 12.0;
    Layout {
        height: top + PLOT_HEIGHT + BOTTOM,
        top,
        legend,
    }
}

fn open(out: &mut String, class: &str, title: &str, height: f64) {
    let t = escape(title);
    let _ = write!(
        out,
        r#"<svg class="chart {class}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{t}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="13">"#
    );
    let _ = write!(
        out,
        r##"<title>{t}</title><rect class="bg" x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/><text class="chart-title" x="{LEFT}" y="18" font-size="15" font-weight="600" fill="#1f2933">{t}</text>"##
    );
}

/// A framed chart saying there is nothing to draw.
pub(crate) fn no_data(class: &str, title: &str) -> String {
    let mut out = String::with_capacity(800);
    let height = TITLE_HEIGHT + 12.0 + PLOT_HEIGHT + BOTTOM;
    open(&mut out, class, title, height);
    let (top, w) = (TITLE_HEIGHT + 12.0, WIDTH - LEFT - RIGHT);
    let _ = write!(
        out,
        r##"<rect class="frame" x="{LEFT}" y="{top}" width="{w}" height="{PLOT_HEIGHT}" fill="#f8fafc" stroke="#d0d7de"/><text class="no-data" x="{cx}" y="{cy}" text-anchor="middle" fill="#6b7785" font-size="14">no data</text></svg>"##,
        cx = LEFT + w / 2.0,
        cy = top + PLOT_HEIGHT / 2.0,
    );
    out
}

/// Where the plot's frame starts: far enough right that the longest value
/// tick (`100 µs` on a log-scaled latency axis) clears the rotated axis
/// label, and never left of [`LEFT`].
fn plot_left(y: &Axis) -> f64 {
    let longest = y
        .ticks
        .iter()
        .map(|(_, label)| label.chars().count())
        .max()
        .unwrap_or(0);
    LEFT.max(38.0 + longest as f64 * CHAR_WIDTH)
}

/// Renders a full chart.
pub(crate) fn render(plot: &Plot<'_>) -> String {
    let lay = layout(plot.series);
    let mut out = String::with_capacity(4096);
    open(&mut out, plot.class, plot.title, lay.height);
    let left = plot_left(&plot.y);
    let (top, w, h) = (lay.top, WIDTH - left - RIGHT, PLOT_HEIGHT);
    let px = |v: f64| left + plot.x.fraction(v).clamp(0.0, 1.0) * w;
    let py = |v: f64| top + h - plot.y.fraction(v).clamp(0.0, 1.0) * h;

    for (s, (i, &(lx, ly))) in plot.series.iter().zip(lay.legend.iter().enumerate()) {
        let c = colour(i);
        let _ = write!(
            out,
            r##"<g class="legend-item"><line x1="{lx}" y1="{y}" x2="{x2}" y2="{y}" stroke="{c}" stroke-width="3"/><text x="{tx}" y="{ty}" fill="#1f2933">{label}</text></g>"##,
            y = ly + 5.0,
            x2 = lx + 22.0,
            tx = lx + 28.0,
            ty = ly + 9.0,
            label = escape(&s.label),
        );
    }

    let _ = write!(
        out,
        r##"<rect class="frame" x="{left}" y="{top}" width="{w}" height="{h}" fill="#fcfdfe" stroke="#d0d7de"/>"##
    );
    out.push_str(r##"<g class="y-axis" fill="#4a5562" text-anchor="end">"##);
    for (v, label) in &plot.y.ticks {
        let y = py(*v);
        let _ = write!(
            out,
            r##"<line class="grid" x1="{left}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#e6eaef"/><text x="{tx}" y="{ty:.1}">{label}</text>"##,
            x2 = left + w,
            tx = left - 6.0,
            ty = y + 4.0,
            label = escape(label),
        );
    }
    out.push_str("</g>");
    out.push_str(r##"<g class="x-axis" fill="#4a5562" text-anchor="middle">"##);
    for (v, label) in &plot.x.ticks {
        let x = px(*v);
        let _ = write!(
            out,
            r##"<line class="grid" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{y2}" stroke="#eef1f4"/><text x="{x:.1}" y="{ty}">{label}</text>"##,
            y2 = top + h,
            ty = top + h + 16.0,
            label = escape(label),
        );
    }
    out.push_str("</g>");
    let _ = write!(
        out,
        r##"<text class="axis-label" x="{x}" y="{y}" text-anchor="middle" fill="#4a5562">{xl}</text><text class="axis-label" transform="translate(16 {ym}) rotate(-90)" text-anchor="middle" fill="#4a5562">{yl}</text>"##,
        x = left + w / 2.0,
        y = top + h + 38.0,
        ym = top + h / 2.0,
        xl = escape(plot.x_label),
        yl = escape(plot.y_label),
    );

    // A guide beyond the data's range is left out rather than pinned to the
    // frame's edge, where it would claim a value it does not have.
    for g in plot
        .guides
        .iter()
        .filter(|g| g.value >= plot.y.min && g.value <= plot.y.max)
    {
        let y = py(g.value);
        let _ = write!(
            out,
            r##"<g class="guide"><line x1="{left}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#c62828" stroke-dasharray="6 4" stroke-width="1.2"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="#c62828">{label}</text></g>"##,
            x2 = left + w,
            tx = left + w - 4.0,
            ty = y - 4.0,
            label = escape(&g.label),
        );
    }

    for (i, s) in plot.series.iter().enumerate() {
        draw_series(&mut out, s, colour(i), &px, &py);
    }
    out.push_str("</svg>");
    out
}

/// One `<path>` per unbroken run of finite points; a lone point between
/// gaps becomes a dot so it is not lost.
fn draw_series(
    out: &mut String,
    s: &Series,
    colour: &str,
    px: &impl Fn(f64) -> f64,
    py: &impl Fn(f64) -> f64,
) {
    let mut d = String::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let mut flush = |run: &mut Vec<(f64, f64)>, out: &mut String| {
        match run.as_slice() {
            [] => {}
            [(x, y)] => {
                let _ = write!(
                    out,
                    r#"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="2.5" fill="{colour}"/>"#
                );
            }
            points => {
                d.clear();
                for (j, (x, y)) in points.iter().enumerate() {
                    let _ = write!(d, "{}{x:.1} {y:.1}", if j == 0 { "M" } else { " L" });
                }
                let _ = write!(
                    out,
                    r#"<path class="series" d="{d}" fill="none" stroke="{colour}" stroke-width="1.8" stroke-linejoin="round"/>"#
                );
            }
        }
        run.clear();
    };
    for &(x, y) in &s.points {
        if x.is_finite() && y.is_finite() {
            run.push((px(x), py(y)));
        } else {
            flush(&mut run, out);
        }
    }
    flush(&mut run, out);
}
