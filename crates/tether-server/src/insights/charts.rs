//! The insight charts as SVG drawn on the server (no script): bars, a scatter with percentile
//! lines, stacked areas and horizontal bars. Readable without colour: series differ by
//! pattern (plain, dots, hatching) and carry their names as text, every mark has a `<title>`,
//! and each chart's figures come beside it as a table (and a CSV download).

use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// The patterns the series are told apart by, defined once per chart.
const DEFS: &str = r##"<defs><pattern id="dots" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#dbe7f5"/><circle cx="3" cy="3" r="1.3" fill="#1d4f91"/></pattern><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#e6f2e6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f6b35" stroke-width="2.2"/></pattern></defs>"##;

/// XML-escapes text put into the drawing.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn open(id: &str, title: &str, desc: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" class="chart" data-chart="{id}"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>{DEFS}"#,
        esc(title),
        esc(desc)
    )
}

/// A rounded-up axis maximum and its tick step.
fn scale(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{}", v.round() as i64) } else { format!("{v:.1}") }
}

/// The y axis with its grid lines and unit.
fn y_axis(out: &mut String, max: f64, step: f64, unit: &str) {
    let plot_h = H - TOP - BOTTOM;
    let mut v = 0.0;
    while v <= max + 1e-9 {
        let y = TOP + plot_h - v / max * plot_h;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d0d4da" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#333">{}</text>"##,
            W - RIGHT,
            LEFT - 4.0,
            y + 3.5,
            fmt_num(v)
        );
        v += step;
    }
    let _ = write!(
        out,
        r##"<text x="4" y="{:.1}" font-size="10" fill="#333">{}</text>"##,
        TOP - 4.0,
        esc(unit)
    );
}

/// Vertical bars with their values written on them.
pub(crate) fn bars(id: &str, title: &str, labels: &[String], values: &[i64], unit: &str) -> String {
    let desc =
        labels.iter().zip(values).map(|(l, v)| format!("{l}: {v}")).collect::<Vec<_>>().join(", ");
    let mut out = open(id, title, &desc);
    let max = values.iter().copied().max().unwrap_or(0) as f64;
    let (max, step) = scale(max);
    y_axis(&mut out, max, step, unit);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = labels.len().max(1) as f64;
    let slot = plot_w / n;
    // Long labels (sprint names) slant under their bars, in a taller drawing.
    let slanted = labels.iter().any(|l| l.chars().count() > 7);
    if slanted {
        out = out.replacen(
            &format!("viewBox=\"0 0 {W} {H}\""),
            &format!("viewBox=\"0 0 {W} {}\"", H + 50.0),
            1,
        );
    }
    let every = (labels.len() / if slanted { 24 } else { 12 }).max(1);
    for (i, (label, v)) in labels.iter().zip(values).enumerate() {
        let h = *v as f64 / max * plot_h;
        let x = LEFT + i as f64 * slot + slot * 0.15;
        let y = TOP + plot_h - h;
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="url(#dots)" stroke="#1d4f91"><title>{}: {v}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#111">{v}</text>"##,
            slot * 0.7,
            esc(label),
            x + slot * 0.35,
            y - 3.0
        );
        if i % every == 0 && slanted {
            let (lx, ly) = (x + slot * 0.35, H - BOTTOM + 10.0);
            let _ = write!(
                out,
                r##"<text x="{lx:.1}" y="{ly:.1}" font-size="10" text-anchor="end" fill="#333" transform="rotate(-40 {lx:.1} {ly:.1})">{}</text>"##,
                esc(label)
            );
        } else if i % every == 0 {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#333">{}</text>"##,
                x + slot * 0.35,
                H - BOTTOM + 14.0,
                esc(label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Points (x in ms across `x_range`, y in `unit`s) with dashed reference lines.
pub(crate) fn scatter(
    id: &str,
    title: &str,
    points: &[(i64, f64, String)],
    x_range: (i64, i64),
    x_labels: &[(i64, String)],
    lines: &[(String, f64)],
    unit: &str,
) -> String {
    let desc = format!(
        "{} tickets; {}",
        points.len(),
        lines
            .iter()
            .map(|(l, v)| format!("{l} {} {unit}", fmt_num(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut out = open(id, title, &desc);
    let max = points.iter().map(|p| p.1).chain(lines.iter().map(|l| l.1)).fold(0.0, f64::max);
    let (max, step) = scale(max);
    y_axis(&mut out, max, step, unit);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let span = (x_range.1 - x_range.0).max(1) as f64;
    let x_of = |x: i64| LEFT + (x - x_range.0) as f64 / span * plot_w;
    for (x, label) in x_labels {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#333">{}</text>"##,
            x_of(*x),
            H - BOTTOM + 14.0,
            esc(label)
        );
    }
    for (label, v) in lines {
        let y = TOP + plot_h - v / max * plot_h;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#111" stroke-dasharray="5 4" stroke-width="1.2"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#111">{} {} {}</text>"##,
            W - RIGHT,
            W - RIGHT - 2.0,
            y - 3.0,
            esc(label),
            fmt_num(*v),
            esc(unit)
        );
    }
    for (x, y, key) in points {
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="url(#dots)" stroke="#1d4f91" stroke-width="1.5"><title>{}: {} {}</title></circle>"##,
            x_of(*x),
            TOP + plot_h - y / max * plot_h,
            esc(key),
            fmt_num(*y),
            esc(unit)
        );
    }
    out.push_str("</svg>");
    out
}

/// Stacked areas, bottom series first, each (name, pattern, values per x label).
pub(crate) fn stacked(
    id: &str,
    title: &str,
    labels: &[String],
    series: &[(&str, &str, Vec<i64>)],
) -> String {
    let last = labels.len().saturating_sub(1);
    let desc = series
        .iter()
        .map(|(name, _, v)| format!("{name}: {}", v.get(last).copied().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = open(id, title, &format!("at the end: {desc}"));
    let totals: Vec<i64> = (0..labels.len())
        .map(|i| series.iter().map(|s| s.2.get(i).copied().unwrap_or(0)).sum())
        .collect();
    let (max, step) = scale(totals.iter().copied().max().unwrap_or(0) as f64);
    y_axis(&mut out, max, step, "tickets");
    let plot_w = W - LEFT - RIGHT - 90.0;
    let plot_h = H - TOP - BOTTOM;
    let n = labels.len().max(2) - 1;
    let x_of = |i: usize| LEFT + i as f64 / n as f64 * plot_w;
    let y_of = |v: i64| TOP + plot_h - v as f64 / max * plot_h;
    let mut base = vec![0i64; labels.len()];
    for (name, pattern, values) in series {
        let top: Vec<i64> = base.iter().zip(values).map(|(b, v)| b + v).collect();
        let mut d = String::new();
        for (i, t) in top.iter().enumerate() {
            let _ = write!(d, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x_of(i), y_of(*t));
        }
        for (i, b) in base.iter().enumerate().rev() {
            let _ = write!(d, "L{:.1},{:.1} ", x_of(i), y_of(*b));
        }
        let fill = match *pattern {
            "dots" => "url(#dots)",
            "hatch" => "url(#hatch)",
            _ => "#f4f5f7",
        };
        let _ = write!(
            out,
            r##"<path d="{}Z" fill="{fill}" stroke="#111" stroke-width="1"><title>{}</title></path>"##,
            d.trim_end(),
            esc(name)
        );
        if let (Some(b), Some(t)) = (base.last(), top.last()) {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#111">{} ({})</text>"##,
                x_of(labels.len().saturating_sub(1)) + 6.0,
                (y_of(*b) + y_of(*t)) / 2.0 + 3.5,
                esc(name),
                t - b
            );
        }
        base = top;
    }
    let every = (labels.len() / 8).max(1);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#333">{}</text>"##,
            x_of(i),
            H - BOTTOM + 14.0,
            esc(label)
        );
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, longest first: (label, value, hatched), the value written beside each.
pub(crate) fn hbars(id: &str, title: &str, rows: &[(String, f64, bool)], unit: &str) -> String {
    let height = (TOP + BOTTOM + rows.len() as f64 * 18.0).max(80.0);
    let desc = format!(
        "{} tickets, the oldest {} {unit}",
        rows.len(),
        rows.first().map(|r| fmt_num(r.1)).unwrap_or_default()
    );
    let mut out = open(id, title, &desc)
        .replace(&format!("viewBox=\"0 0 {W} {H}\""), &format!("viewBox=\"0 0 {W} {height}\""));
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1.0);
    let label_w = 120.0;
    let plot_w = W - label_w - RIGHT - 100.0;
    for (i, (label, v, hatched)) in rows.iter().enumerate() {
        let y = TOP + i as f64 * 18.0;
        let w = v / max * plot_w;
        let fill = if *hatched { "url(#hatch)" } else { "url(#dots)" };
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" fill="#111">{}</text><rect x="{label_w}" y="{y:.1}" width="{w:.1}" height="13" fill="{fill}" stroke="#111"><title>{}: {} {}</title></rect><text x="{:.1}" y="{:.1}" font-size="10" fill="#111">{} {}{}</text>"##,
            label_w - 6.0,
            y + 10.0,
            esc(label),
            esc(label),
            fmt_num(*v),
            esc(unit),
            label_w + w + 4.0,
            y + 10.0,
            fmt_num(*v),
            esc(unit),
            if *hatched { " in progress" } else { " to do" }
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_round_up_to_readable_steps() {
        assert_eq!(scale(0.0), (1.0, 1.0));
        assert_eq!(scale(7.0), (8.0, 2.0));
        assert_eq!(scale(37.0), (40.0, 10.0));
        assert_eq!(scale(1.3), (1.5, 0.5));
    }

    #[test]
    fn drawings_carry_their_figures_as_text_and_escape_labels() {
        let svg =
            bars("t", "Throughput <weekly>", &["1 Dec".into(), "8 Dec".into()], &[3, 5], "tickets");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"t-t\">Throughput &lt;weekly&gt;</title>"));
        assert!(svg.contains("<desc id=\"t-d\">1 Dec: 3, 8 Dec: 5</desc>"));
        assert_eq!(svg.matches("<rect x=").count(), 2);
        let flow = stacked(
            "f",
            "Flow",
            &["a".into(), "b".into()],
            &[("Done", "hatch", vec![1, 2]), ("To do", "plain", vec![3, 1])],
        );
        assert!(flow.contains(">Done (2)</text>") && flow.contains(">To do (1)</text>"), "{flow}");
        let age =
            hbars("a", "Age", &[("WEB-1".into(), 12.0, true), ("WEB-2".into(), 3.5, false)], "d");
        assert!(age.contains("12 d in progress") && age.contains("3.5 d to do"), "{age}");
        let s = scatter(
            "s",
            "Cycle",
            &[(5, 2.0, "K-1".into())],
            (0, 10),
            &[],
            &[("p50".into(), 2.0)],
            "days",
        );
        assert!(s.contains("<title>K-1: 2 days</title>") && s.contains("p50 2 days"), "{s}");
    }
}
