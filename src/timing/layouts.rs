//! Ours in each pixel layout beside our RGBA, and the peers in each layout, all interleaved
//! round by round ([`interleaved_medians`]), so that the ratios come from one run: what
//! `shmbmp bench --layout` prints and `cargo bench` reports (issue 18: a layout costs
//! nothing extra; against the fastest peer that produces the same layout).
//!
//! Ours run `decode_into_slice_as` a reused buffer; each peer runs its crate's call that
//! comes nearest the layout ([`Peer::call_as`]). A peer whose output is not the layout gets
//! a second job: our conversion of its output to the layout, timed apart.

use std::hint::black_box;

use serde::{Deserialize, Serialize};

use super::{alloc, interleaved_medians, write_floor, Medians};
use crate::decode::{Native, Peer};
use crate::format::{Layout, PixelLayout};
use crate::{Decode, Decoder, Error, Limits};
use shmbmp::decode::output_buffer;

/// Who is timed: decoders of ours and peers.
pub struct Lineup {
    /// Decoders of ours (each timed in RGBA and in every layout asked for).
    pub ours: Vec<&'static dyn Decode>,
    /// Peers (each timed in every layout asked for).
    pub peers: Vec<&'static dyn Peer>,
}

impl Lineup {
    /// `decoders` as a lineup; `lut` is always among ours, as the peers' reference.
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

/// What a row times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LayoutJob {
    /// The write floor of the layout's output size.
    Floor,
    /// A decoder of ours, by name.
    Ours(String),
    /// A peer's call nearest the layout, by the peer's name; `native` when its output is
    /// the layout itself.
    Call {
        /// The peer.
        peer: String,
        /// Whether its output is the layout.
        native: bool,
    },
    /// Our conversion of a peer's output to the layout, by the peer's name.
    Conversion(String),
}

/// One timed row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutRow {
    /// What was timed, in words (`lut (decode_into)`, `zune (its call, RGB8)`, ...).
    pub what: String,
    /// The layout asked for (`RGBA`, `BGR`, ...).
    pub layout: String,
    /// What the row times.
    pub job: LayoutJob,
    /// Its medians; `None` when it failed.
    pub times: Option<Medians>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Every row on one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutRun {
    /// File or fixture name.
    pub name: String,
    /// Image width.
    pub width: u32,
    /// Image height.
    pub height: u32,
    /// Interleaved rounds.
    pub rounds: usize,
    /// How the allocator was held.
    pub allocator: String,
    /// The kernel level `lut` picked ([`crate::Kernels::name`]).
    pub kernels: String,
    /// The rows: the write floors, ours in each layout, the peers in each layout.
    pub rows: Vec<LayoutRow>,
}

impl LayoutRun {
    /// The first row that `pred` accepts and that was timed.
    fn times(&self, pred: impl Fn(&LayoutRow) -> bool) -> Option<Medians> {
        self.rows.iter().find(|r| pred(r)).and_then(|r| r.times)
    }

    /// The write floor for `layout`'s bytes a pixel.
    pub fn floor(&self, layout: PixelLayout) -> Option<Medians> {
        let bpp = layout.bytes_per_pixel();
        self.times(|r| {
            r.job == LayoutJob::Floor
                && r.layout
                    .parse::<PixelLayout>()
                    .is_ok_and(|l| l.bytes_per_pixel() == bpp)
        })
    }

    /// Our `decoder` into `layout`.
    pub fn ours(&self, decoder: &str, layout: PixelLayout) -> Option<Medians> {
        self.times(|r| r.job == LayoutJob::Ours(decoder.to_string()) && r.layout == layout.name())
    }

    /// Our `decoder` into `layout` ÷ the same into RGBA: (in turn, settled).
    pub fn vs_rgba(&self, decoder: &str, layout: PixelLayout) -> Option<(f64, f64)> {
        let (l, rgba) = (
            self.ours(decoder, layout)?,
            self.ours(decoder, PixelLayout::Rgba)?,
        );
        Some((l.turn_ns / rgba.turn_ns, l.settled_ns / rgba.settled_ns))
    }

    /// The decoders of ours in the run, in order.
    pub fn our_decoders(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for r in &self.rows {
            if let LayoutJob::Ours(d) = &r.job {
                if !v.contains(&d.as_str()) {
                    v.push(d);
                }
            }
        }
        v
    }

    /// The peer whose own call gives `layout` fastest (in turn), and its medians.
    pub fn fastest_peer(&self, layout: PixelLayout) -> Option<(&str, Medians)> {
        self.rows
            .iter()
            .filter(|r| r.layout == layout.name())
            .filter_map(|r| match (&r.job, r.times) {
                (LayoutJob::Call { peer, native: true }, Some(t)) => Some((peer.as_str(), t)),
                _ => None,
            })
            .min_by(|a, b| a.1.turn_ns.total_cmp(&b.1.turn_ns))
    }
}

/// What an untimed first call left for a row's timed job.
enum Prepared {
    Floor(Vec<u8>),
    Ours(&'static dyn Decode, Vec<u8>),
    Call(&'static dyn Peer),
    Conversion(Native, Vec<u8>),
}

fn row(
    what: String,
    layout: PixelLayout,
    job: LayoutJob,
    first: Result<Prepared, String>,
) -> (LayoutRow, Option<Prepared>) {
    let (error, prepared) = match first {
        Ok(p) => (None, Some(p)),
        Err(e) => (Some(e), None),
    };
    let row = LayoutRow {
        what,
        layout: layout.name().to_string(),
        job,
        times: None,
        error,
    };
    (row, prepared)
}

/// Times `lineup` on `bmp` in every layout of `layouts` (RGBA added when missing) over
/// `rounds` interleaved rounds; an error means the header was refused.
pub fn interleave_layouts(
    name: &str,
    bmp: &[u8],
    lineup: &Lineup,
    layouts: &[PixelLayout],
    limits: &Limits,
    rounds: usize,
) -> Result<LayoutRun, Error> {
    let allocator = alloc::hold_steady();
    let header = Layout::parse(bmp, limits)?;
    let pixels = header.width as usize * header.height as usize;
    let mut wanted = vec![PixelLayout::Rgba];
    wanted.extend(layouts.iter().filter(|l| **l != PixelLayout::Rgba));
    wanted.dedup();
    let mut rows: Vec<(LayoutRow, Option<Prepared>)> = Vec::new();
    let mut bpps: Vec<usize> = wanted.iter().map(|l| l.bytes_per_pixel()).collect();
    bpps.sort_unstable_by(|a, b| b.cmp(a));
    bpps.dedup();
    for bpp in bpps {
        let layout = wanted
            .iter()
            .copied()
            .find(|l| l.bytes_per_pixel() == bpp)
            .expect("a layout of this size");
        rows.push(row(
            format!("write floor ({bpp} bytes a pixel)"),
            layout,
            LayoutJob::Floor,
            Ok(Prepared::Floor(output_buffer(pixels * bpp))),
        ));
    }
    for &d in &lineup.ours {
        for &layout in &wanted {
            let mut out = Vec::new();
            let first = d
                .decode_into_as(bmp, limits, layout, &mut out)
                .map(|_| Prepared::Ours(d, out))
                .map_err(|e| e.to_string());
            rows.push(row(
                format!("{} (decode_into)", d.name()),
                layout,
                LayoutJob::Ours(d.name().to_string()),
                first,
            ));
        }
    }
    for &p in &lineup.peers {
        let peer = p.name().to_string();
        for &layout in &wanted {
            match p.call_as(bmp, limits, layout) {
                Err(e) => rows.push(row(
                    peer.clone(),
                    layout,
                    LayoutJob::Call {
                        peer: peer.clone(),
                        native: false,
                    },
                    Err(e.to_string()),
                )),
                Ok(n) => {
                    let native = n.layout() == Some(layout);
                    rows.push(row(
                        format!("{} (its call, {})", p.name(), n.format()),
                        layout,
                        LayoutJob::Call {
                            peer: peer.clone(),
                            native,
                        },
                        Ok(Prepared::Call(p)),
                    ));
                    if !native {
                        rows.push(row(
                            format!("  {} → {layout} (ours)", n.format()),
                            layout,
                            LayoutJob::Conversion(peer.clone()),
                            Ok(Prepared::Conversion(n, Vec::new())),
                        ));
                    }
                }
            }
        }
    }
    let medians = {
        let mut jobs: Vec<Box<dyn FnMut() + '_>> = Vec::new();
        for (r, prepared) in &mut rows {
            let layout: PixelLayout = r.layout.parse().expect("written from a PixelLayout");
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
    let rows = rows
        .into_iter()
        .map(|(mut r, prepared)| {
            if prepared.is_some() {
                r.times = Some(m.next().expect("a median for every job"));
            }
            r
        })
        .collect();
    Ok(LayoutRun {
        name: name.to_string(),
        width: header.width,
        height: header.height,
        rounds: rounds.max(1),
        allocator: allocator.to_string(),
        kernels: crate::Kernels::detect().name().to_string(),
        rows,
    })
}
