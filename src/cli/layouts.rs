//! `shmbmp bench --layout L,...`: ours in each pixel layout beside our RGBA, and the peers
//! in each layout, all interleaved round by round ([`interleaved_medians`]), so that the
//! ratios come from one run.
//!
//! Ours run `decode_into_slice_as` a reused buffer; each peer runs its crate's call that
//! comes nearest the layout ([`Peer::call_as`]). A peer whose output is not the layout gets
//! a second line: our conversion of its output to the layout, timed apart, then the sum of
//! the two medians.

use std::fmt::Write as _;
use std::hint::black_box;

use shmbmp_suite::decode::{Native, Peer};
use shmbmp_suite::format::{Layout, PixelLayout};
use shmbmp_suite::report::fmt_ns;
use shmbmp_suite::timing::{alloc, interleaved_medians, write_floor, Medians};
use shmbmp_suite::{Decode, Decoder, Error, Limits};

/// Who is timed: decoders of ours and peers.
pub struct Lineup {
    /// Decoders of ours (each timed in RGBA and in every layout asked for).
    pub ours: Vec<&'static dyn Decode>,
    /// Peers (each timed in every layout asked for).
    pub peers: Vec<&'static dyn Peer>,
}

impl Lineup {
    /// `decoder` (a registry name or `all`) as a lineup; `lut` is always among ours, as
    /// the peers' reference.
    pub fn of(decoders: &[&'static dyn Decoder]) -> Lineup {
        let mut ours: Vec<&'static dyn Decode> = decoders
            .iter()
            .filter_map(|d| shmbmp::by_name(d.name()).ok())
            .collect();
        if !ours.iter().any(|d| Decode::name(*d) == "lut") {
            ours.insert(0, &shmbmp::Lut::AUTO);
        }
        let peers = decoders.iter().filter_map(|d| d.peer()).collect();
        Lineup { ours, peers }
    }
}

/// One timed line.
struct Row {
    what: String,
    layout: PixelLayout,
    kind: Kind,
    time: Result<Medians, String>,
}

#[derive(PartialEq)]
enum Kind {
    /// The write floor of a layout's output size.
    Floor,
    /// A decoder of ours (its name).
    Ours(&'static str),
    /// A peer's call (its output already the layout, or not).
    Call { native: bool },
    /// Our conversion of a peer's output.
    Conversion,
}

/// What an untimed first call left for a row's timed job.
enum Prepared {
    Floor(Vec<u8>),
    Ours(&'static dyn Decode, Vec<u8>),
    Call(&'static dyn Peer),
    Conversion(Native, Vec<u8>),
}

/// Times `lineup` on `bmp` in every layout of `layouts` (RGBA added when missing) over
/// `rounds` interleaved rounds and returns the table; an error means the header was refused.
pub fn table(
    name: &str,
    bmp: &[u8],
    lineup: &Lineup,
    layouts: &[PixelLayout],
    limits: &Limits,
    rounds: usize,
) -> Result<String, Error> {
    let allocator = alloc::hold_steady();
    let header = Layout::parse(bmp, limits)?;
    let pixels = header.width as usize * header.height as usize;
    let mut wanted = vec![PixelLayout::Rgba];
    wanted.extend(layouts.iter().filter(|l| **l != PixelLayout::Rgba));
    wanted.dedup();
    let mut rows: Vec<(Row, Option<Prepared>)> = Vec::new();
    let mut bpps: Vec<usize> = wanted.iter().map(|l| l.bytes_per_pixel()).collect();
    bpps.sort_unstable_by(|a, b| b.cmp(a));
    bpps.dedup();
    for bpp in bpps {
        let layout = wanted
            .iter()
            .copied()
            .find(|l| l.bytes_per_pixel() == bpp)
            .expect("a layout of this size");
        rows.push(timed(
            format!("write floor ({bpp} bytes a pixel)"),
            layout,
            Kind::Floor,
            Ok(Prepared::Floor(vec![0; pixels * bpp])),
        ));
    }
    for &d in &lineup.ours {
        for &layout in &wanted {
            let mut out = Vec::new();
            let first = d
                .decode_into_as(bmp, limits, layout, &mut out)
                .map(|_| Prepared::Ours(d, out))
                .map_err(|e| e.to_string());
            rows.push(timed(
                format!("{} (decode_into)", d.name()),
                layout,
                Kind::Ours(d.name()),
                first,
            ));
        }
    }
    for &p in &lineup.peers {
        for &layout in &wanted {
            match p.call_as(bmp, limits, layout) {
                Err(e) => rows.push(timed(
                    p.name().to_string(),
                    layout,
                    Kind::Call { native: false },
                    Err(e.to_string()),
                )),
                Ok(n) => {
                    let native = n.layout() == Some(layout);
                    rows.push(timed(
                        format!("{} (its call, {})", p.name(), n.format()),
                        layout,
                        Kind::Call { native },
                        Ok(Prepared::Call(p)),
                    ));
                    if !native {
                        rows.push(timed(
                            format!("  {} → {layout} (ours)", n.format()),
                            layout,
                            Kind::Conversion,
                            Ok(Prepared::Conversion(n, Vec::new())),
                        ));
                    }
                }
            }
        }
    }
    let medians = {
        let mut jobs: Vec<Box<dyn FnMut() + '_>> = Vec::new();
        for (row, prepared) in &mut rows {
            let layout = row.layout;
            match prepared {
                None => {}
                Some(Prepared::Floor(buf)) => jobs.push(Box::new(move || write_floor(buf))),
                Some(Prepared::Ours(d, out)) => {
                    let d = *d;
                    jobs.push(Box::new(move || {
                        let _ =
                            black_box(d.decode_into_slice_as(black_box(bmp), limits, layout, out));
                    }));
                }
                Some(Prepared::Call(p)) => {
                    let p = *p;
                    jobs.push(Box::new(move || {
                        let _ = black_box(p.call_as(black_box(bmp), limits, layout));
                    }));
                }
                Some(Prepared::Conversion(n, out)) => {
                    let n = &*n;
                    jobs.push(Box::new(move || {
                        black_box(n.write_layout(layout, out));
                    }));
                }
            }
        }
        interleaved_medians(rounds, &mut jobs)
    };
    let mut m = medians.into_iter();
    let rows: Vec<Row> = rows
        .into_iter()
        .map(|(mut row, prepared)| {
            if prepared.is_some() {
                row.time = Ok(m.next().expect("a median for every job"));
            }
            row
        })
        .collect();
    Ok(render(name, &header, rounds.max(1), &rows, allocator))
}

fn timed(
    what: String,
    layout: PixelLayout,
    kind: Kind,
    first: Result<Prepared, String>,
) -> (Row, Option<Prepared>) {
    let (time, prepared) = match first {
        Ok(p) => (Err(String::new()), Some(p)),
        Err(e) => (Err(e), None),
    };
    (
        Row {
            what,
            layout,
            kind,
            time,
        },
        prepared,
    )
}

/// The table: each row's medians, × the write floor of its layout's size, × the same
/// decoder of ours in RGBA (ours) and × `lut` in the same layout (everyone).
fn render(name: &str, header: &Layout, rounds: usize, rows: &[Row], allocator: &str) -> String {
    let turn = |r: &Row| r.time.as_ref().ok().map(|m| m.turn_ns);
    let find = |pred: &dyn Fn(&Row) -> bool| rows.iter().find(|r| pred(r)).and_then(turn);
    let floor = |l: PixelLayout| {
        find(&|r| r.kind == Kind::Floor && r.layout.bytes_per_pixel() == l.bytes_per_pixel())
    };
    let ours =
        |d: &'static str, l: PixelLayout| find(&|r| r.kind == Kind::Ours(d) && r.layout == l);
    let ratio = |x: f64, of: Option<f64>| of.map_or("-".into(), |f| format!("{:.2}", x / f));
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{name}: {}x{}, medians of {rounds} interleaved round{} (in turn; repeated right after itself); × write: ÷ the write floor of the layout's size; × RGBA: ÷ the same decoder of ours into RGBA; × lut: ÷ lut into the same layout",
        header.width,
        header.height,
        if rounds == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        o,
        "  {:<38} {:<6} {:>9} {:>9} {:>8} {:>7} {:>7}",
        "what", "layout", "in turn", "repeated", "× write", "× RGBA", "× lut"
    );
    let mut call: Option<f64> = None;
    for r in rows {
        let Ok(m) = &r.time else {
            let _ = writeln!(
                o,
                "  {:<38} {:<6} {}",
                r.what,
                r.layout.to_string(),
                r.time.as_ref().err().map_or("-", |e| e.as_str())
            );
            continue;
        };
        let lut = ours("lut", r.layout);
        let (own, vs_lut) = match &r.kind {
            Kind::Floor => (None, None),
            Kind::Ours(d) => (ours(d, PixelLayout::Rgba), lut),
            Kind::Call { .. } | Kind::Conversion => (None, lut),
        };
        let layout = match r.kind {
            Kind::Floor => format!("{} B", r.layout.bytes_per_pixel()),
            Kind::Call { native: false } => format!("({})", r.layout),
            _ => r.layout.to_string(),
        };
        let _ = writeln!(
            o,
            "  {:<38} {:<6} {:>9} {:>9} {:>8} {:>7} {:>7}",
            r.what,
            layout,
            fmt_ns(m.turn_ns),
            fmt_ns(m.repeat_ns),
            ratio(m.turn_ns, floor(r.layout)),
            if r.kind == Kind::Floor || own.is_none() || r.layout == PixelLayout::Rgba {
                "-".into()
            } else {
                ratio(m.turn_ns, own)
            },
            if r.kind == Kind::Floor {
                "-".into()
            } else {
                ratio(m.turn_ns, vs_lut)
            },
        );
        match r.kind {
            Kind::Call { native: false } => call = Some(m.turn_ns),
            Kind::Conversion => {
                if let Some(c) = call.take() {
                    let sum = c + m.turn_ns;
                    let _ = writeln!(
                        o,
                        "  {:<38} {:<6} {:>9} {:>9} {:>8} {:>7} {:>7}",
                        "  call + conversion (sum of medians)",
                        r.layout.to_string(),
                        fmt_ns(sum),
                        "-",
                        ratio(sum, floor(r.layout)),
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
    let _ = writeln!(o, "  allocator: {allocator}");
    o
}
