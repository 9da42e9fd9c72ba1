//! `shmbmp bench --layout L,...`: ours in each pixel layout beside our RGBA, and the peers
//! in each layout, all interleaved round by round
//! ([`shmbmp_suite::timing::layouts`]), as a table.

use std::fmt::Write as _;

use shmbmp_suite::format::PixelLayout;
use shmbmp_suite::report::fmt_ns;
use shmbmp_suite::timing::layouts::{LayoutJob, LayoutRow, LayoutRun};

/// The table: each row's medians, × the write floor of its layout's size, × the same
/// decoder of ours in RGBA (ours) and × `lut` in the same layout (everyone).
pub fn render(run: &LayoutRun) -> String {
    let layout_of = |r: &LayoutRow| r.layout.parse::<PixelLayout>().ok();
    let floor = |l: PixelLayout| run.floor(l).map(|m| m.turn_ns);
    let ours = |d: &str, l: PixelLayout| run.ours(d, l).map(|m| m.turn_ns);
    let ratio = |x: f64, of: Option<f64>| of.map_or("-".into(), |f| format!("{:.2}", x / f));
    let mut o = String::new();
    let rounds = run.rounds;
    let _ = writeln!(
        o,
        "{}: {}x{}, medians of {rounds} interleaved round{} (in turn; repeated right after itself); × write: ÷ the write floor of the layout's size; × RGBA: ÷ the same decoder of ours into RGBA; × lut: ÷ lut into the same layout",
        run.name,
        run.width,
        run.height,
        if rounds == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        o,
        "  {:<38} {:<6} {:>9} {:>9} {:>8} {:>7} {:>7}",
        "what", "layout", "in turn", "repeated", "× write", "× RGBA", "× lut"
    );
    let mut call: Option<f64> = None;
    for r in &run.rows {
        let (Some(m), Some(layout)) = (r.times, layout_of(r)) else {
            let _ = writeln!(
                o,
                "  {:<38} {:<6} {}",
                r.what,
                r.layout,
                r.error.as_deref().unwrap_or("-")
            );
            continue;
        };
        let lut = ours("lut", layout);
        let (own, vs_lut) = match &r.job {
            LayoutJob::Floor => (None, None),
            LayoutJob::Ours(d) => (ours(d, PixelLayout::Rgba), lut),
            LayoutJob::Call { .. } | LayoutJob::Conversion(_) => (None, lut),
        };
        let shown = match r.job {
            LayoutJob::Floor => format!("{} B", layout.bytes_per_pixel()),
            LayoutJob::Call { native: false, .. } => format!("({layout})"),
            _ => layout.to_string(),
        };
        let is_floor = r.job == LayoutJob::Floor;
        let _ = writeln!(
            o,
            "  {:<38} {:<6} {:>9} {:>9} {:>8} {:>7} {:>7}",
            r.what,
            shown,
            fmt_ns(m.turn_ns),
            fmt_ns(m.repeat_ns),
            ratio(m.turn_ns, floor(layout)),
            if is_floor || own.is_none() || layout == PixelLayout::Rgba {
                "-".into()
            } else {
                ratio(m.turn_ns, own)
            },
            if is_floor {
                "-".into()
            } else {
                ratio(m.turn_ns, vs_lut)
            },
        );
        match r.job {
            LayoutJob::Call { native: false, .. } => call = Some(m.turn_ns),
            LayoutJob::Conversion(_) => {
                if let Some(c) = call.take() {
                    let sum = c + m.turn_ns;
                    let _ = writeln!(
                        o,
                        "  {:<38} {:<6} {:>9} {:>9} {:>8} {:>7} {:>7}",
                        "  call + conversion (sum of medians)",
                        layout.to_string(),
                        fmt_ns(sum),
                        "-",
                        ratio(sum, floor(layout)),
                        "-",
                        ratio(sum, lut),
                    );
                }
            }
            _ => call = None,
        }
    }
    let _ = writeln!(
        o,
        "  a peer's layout in parentheses: its output is not that layout, and our conversion follows"
    );
    let _ = writeln!(o, "  allocator: {}", run.allocator);
    o
}
