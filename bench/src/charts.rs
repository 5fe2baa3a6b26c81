//! SVG charts (plotters): throughput over each workload's run, and its latency percentiles, one
//! panel per workload with every engine on the same axes.

use crate::engine::BenchResult;
use crate::runner::RunResult;
use plotters::prelude::*;
use std::path::Path;

/// One workload's results, one per engine.
pub struct Panel<'a> {
    pub workload: String,
    pub runs: Vec<&'a RunResult>,
}

/// The colour of an engine: by its first appearance in any panel, so that one engine has one
/// colour on every panel of a chart.
fn color_of(panels: &[Panel], engine: &str) -> RGBColor {
    let mut seen: Vec<&str> = Vec::new();
    for r in panels.iter().flat_map(|p| &p.runs) {
        if !seen.contains(&r.engine.as_str()) {
            seen.push(&r.engine);
        }
    }
    let i = seen.iter().position(|e| *e == engine).unwrap_or(0);
    COLORS[i % COLORS.len()]
}

const COLORS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];
const PANEL_W: u32 = 420;
const PANEL_H: u32 = 260;
const COLUMNS: usize = 3;

fn err<E: std::fmt::Display>(e: E) -> String {
    format!("chart: {e}")
}

/// The grid: (rows, columns) for `n` panels.
fn grid(n: usize) -> (usize, usize) {
    let cols = n.clamp(1, COLUMNS);
    (n.div_ceil(cols).max(1), cols)
}

/// Operations per second over time, per workload.
pub fn throughput(path: &Path, panels: &[Panel]) -> BenchResult<()> {
    let (rows, cols) = grid(panels.len());
    let root =
        SVGBackend::new(path, (PANEL_W * cols as u32, PANEL_H * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    for (area, p) in root.split_evenly((rows, cols)).iter().zip(panels) {
        let xmax = p.runs.iter().map(|r| r.throughput.len()).max().unwrap_or(1).max(1) as f64;
        let ymax =
            p.runs.iter().flat_map(|r| r.throughput.iter().copied()).fold(1.0, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(&p.workload, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..xmax, 0f64..ymax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("seconds")
            .y_desc("ops/s")
            .y_label_formatter(&|v| si(*v))
            .draw()
            .map_err(err)?;
        for r in &p.runs {
            let color = color_of(panels, &r.engine);
            // Sample t covers second (t, t + 1]: plot it at the middle, with a dot (a run shorter
            // than a second has a single sample, which a line cannot show).
            let pts: Vec<(f64, f64)> =
                r.throughput.iter().enumerate().map(|(t, v)| (t as f64 + 0.5, *v)).collect();
            chart
                .draw_series(pts.iter().map(|c| Circle::new(*c, 3, color.filled())))
                .map_err(err)?;
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(err)?
                .label(r.engine.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Latency percentiles (log scale, microseconds), per workload.
pub fn latency(path: &Path, panels: &[Panel]) -> BenchResult<()> {
    let (rows, cols) = grid(panels.len());
    let root =
        SVGBackend::new(path, (PANEL_W * cols as u32, PANEL_H * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let labels = ["P50", "P75", "P99", "P99.9", "P99.99"];
    for (area, p) in root.split_evenly((rows, cols)).iter().zip(panels) {
        let values = p.runs.iter().flat_map(|r| r.latency_us.points().map(|(_, v)| v));
        let (lo, hi) = values.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let lo = (lo.max(0.01) / 2.0).min(hi.max(0.02) / 4.0);
        let hi = hi.max(lo * 4.0) * 2.0;
        let mut chart = ChartBuilder::on(area)
            .caption(&p.workload, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.3f64..4.3f64, (lo..hi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_labels(5)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 0.01 && (0.0..5.0).contains(&i) {
                    labels[i as usize].to_string()
                } else {
                    String::new()
                }
            })
            .y_desc("latency (µs)")
            .draw()
            .map_err(err)?;
        for r in &p.runs {
            let color = color_of(panels, &r.engine);
            let pts: Vec<(f64, f64)> = r
                .latency_us
                .points()
                .iter()
                .enumerate()
                .map(|(x, (_, v))| (x as f64, v.max(lo)))
                .collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                .map_err(err)?
                .label(r.engine.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
                });
            chart
                .draw_series(pts.into_iter().map(|c| Circle::new(c, 3, color.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// 1234567 -> "1.2M".
fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Latency;

    #[test]
    fn writes_both_charts() {
        let dir = tempfile::tempdir().unwrap();
        let a = RunResult {
            workload: "readrandom".into(),
            engine: "Shale".into(),
            throughput: vec![100.0, 200.0, 150.0],
            latency_us: Latency {
                p50: 1.0,
                p75: 2.0,
                p99: 10.0,
                p999: 50.0,
                p9999: 300.0,
                ..Latency::default()
            },
            ..RunResult::default()
        };
        let b = RunResult { engine: "RocksDB".into(), throughput: vec![90.0], ..a.clone() };
        let panels = vec![
            Panel { workload: "readrandom".into(), runs: vec![&a, &b] },
            Panel { workload: "empty".into(), runs: vec![] },
        ];
        throughput(&dir.path().join("t.svg"), &panels).unwrap();
        latency(&dir.path().join("l.svg"), &panels).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("l.svg")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("RocksDB") && svg.contains("P99.9"));
        assert!(std::fs::read_to_string(dir.path().join("t.svg")).unwrap().contains("readrandom"));
    }
}
