//! The fast strategy: whole rows as slices, every per-pixel decision made once up front.
//!
//! Palettes become a table of packed RGBA `u32`s (for 1/2/4-bit, a table per source byte
//! holding all the pixels that byte expands to), 16-bit pixels a 65,536-entry table
//! (cached per thread, keyed by the masks), 24/32-bit pixels byte swizzles. The row
//! kernels are in [`scalar`] (the reference) and, on x86-64, in `x86` (SSSE3/AVX2, and
//! AVX-512 VBMI for 8-bit palettes), picked at run time; `SHMBMP_SIMD=off` or
//! [`Lut::scalar`] forces the scalar path, `SHMBMP_SIMD=avx2` stops below AVX-512.

mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use std::num::NonZeroUsize;

use super::rle;
use super::{layout_for, Decode, DecodeError, Dims, Limits};
use crate::format::{palette, Channel, Layout, Masks, PixelFormat};

/// Which row kernels run; levels are ordered, each one using the best of its own kernels
/// and those of the levels below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kernels {
    /// Portable safe code: the reference.
    Scalar,
    /// x86-64 SSSE3 + AVX2.
    Avx2,
    /// x86-64 AVX-512 VBMI byte permutes for 8-bit palettes, AVX2 for the rest.
    Avx512Vbmi,
}

impl Kernels {
    /// Every level, slowest first.
    pub const ALL: [Kernels; 3] = [Kernels::Scalar, Kernels::Avx2, Kernels::Avx512Vbmi];

    /// The best kernels this CPU runs, capped by `SHMBMP_SIMD` (read once): `off` forces
    /// the scalar reference, `avx2` stops below AVX-512.
    pub fn detect() -> Kernels {
        static DETECTED: OnceLock<Kernels> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let cap = match std::env::var("SHMBMP_SIMD").as_deref() {
                Ok("off") => Kernels::Scalar,
                Ok("avx2") => Kernels::Avx2,
                _ => Kernels::Avx512Vbmi,
            };
            Kernels::ALL
                .into_iter()
                .rev()
                .find(|k| *k <= cap && k.supported())
                .unwrap_or(Kernels::Scalar)
        })
    }

    /// Whether this CPU can run these kernels.
    pub fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("ssse3");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        match self {
            Kernels::Scalar => true,
            Kernels::Avx2 => avx2,
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512Vbmi => {
                avx2 && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vbmi")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Kernels::Avx512Vbmi => false,
        }
    }

    /// The name of the single-thread `lut` forced onto these kernels ([`Lut::with_kernels`]).
    pub fn lut_name(self) -> &'static str {
        match self {
            Kernels::Scalar => "lut_scalar",
            Kernels::Avx2 => "lut_avx2",
            Kernels::Avx512Vbmi => "lut_avx512vbmi",
        }
    }

    /// What a CPU must offer to run these kernels, in words.
    pub fn needs(self) -> &'static str {
        match self {
            Kernels::Scalar => "nothing",
            Kernels::Avx2 => "x86-64 with AVX2 and SSSE3",
            Kernels::Avx512Vbmi => "x86-64 with AVX-512 F, BW and VBMI",
        }
    }

    /// A short name for reports: `scalar`, `avx2`, `avx512vbmi`.
    pub fn name(self) -> &'static str {
        match self {
            Kernels::Scalar => "scalar",
            Kernels::Avx2 => "avx2",
            Kernels::Avx512Vbmi => "avx512vbmi",
        }
    }
}

/// How many threads a [`Lut`] splits an image's rows across.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Threads {
    /// The calling thread only.
    One,
    /// At most this many (small images use fewer: a thread must have enough work to pay).
    AtMost(NonZeroUsize),
    /// At most one per core the process may use.
    AllCores,
}

impl Threads {
    /// The most threads this setting allows on this machine.
    pub fn max(self) -> usize {
        // `available_parallelism` reads cgroup files on Linux (tens of microseconds): ask once.
        static CORES: OnceLock<usize> = OnceLock::new();
        match self {
            Threads::One => 1,
            Threads::AtMost(n) => n.get(),
            Threads::AllCores => {
                *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            }
        }
    }
}

/// Table-driven row decoder; more than one thread splits rows across scoped threads.
#[derive(Debug, Clone, Copy)]
pub struct Lut {
    kernels: Option<Kernels>,
    threads: Threads,
}

impl Default for Lut {
    fn default() -> Self {
        Lut::AUTO
    }
}

impl Lut {
    /// Best kernels for this CPU, one thread: the registry's `lut`.
    pub const AUTO: Lut = Lut {
        kernels: None,
        threads: Threads::One,
    };
    /// Best kernels, rows split over every available core: the registry's `lut_mt`.
    pub const PARALLEL: Lut = Lut {
        kernels: None,
        threads: Threads::AllCores,
    };

    /// The scalar reference kernels, one thread, whatever the CPU offers.
    pub fn scalar() -> Lut {
        Lut {
            kernels: Some(Kernels::Scalar),
            threads: Threads::One,
        }
    }

    /// One thread on the given kernels, or `None` when this CPU cannot run them (for
    /// comparing kernel levels on one machine; [`Lut::AUTO`] picks the best by itself).
    pub fn with_kernels(kernels: Kernels) -> Option<Lut> {
        kernels.supported().then_some(Lut {
            kernels: Some(kernels),
            threads: Threads::One,
        })
    }

    /// One single-thread decoder per kernel level this CPU runs, scalar first: what the
    /// equivalence tests check beside the registry.
    pub fn every_level() -> Vec<Lut> {
        Kernels::ALL
            .into_iter()
            .filter_map(Lut::with_kernels)
            .collect()
    }

    /// The kernels this decoder runs on this machine.
    pub fn kernels(&self) -> Kernels {
        self.kernels.unwrap_or_else(Kernels::detect)
    }

    /// This decoder with its rows split over `threads`.
    pub fn with_threads(self, threads: Threads) -> Lut {
        Lut { threads, ..self }
    }

    /// How this decoder splits rows over threads.
    pub fn threads(&self) -> Threads {
        self.threads
    }
}

impl Decode for Lut {
    fn name(&self) -> &'static str {
        match (self.threads, self.kernels) {
            (Threads::One, None) => "lut",
            (_, None) => "lut_mt",
            (_, Some(kernels)) => kernels.lut_name(),
        }
    }

    fn decode_into_slice(
        &self,
        bmp: &[u8],
        limits: &Limits,
        out: &mut [u8],
    ) -> Result<Dims, DecodeError> {
        let layout = layout_for(bmp, limits, out)?;
        match layout.format {
            PixelFormat::Rle8 | PixelFormat::Rle4 => decode_rle(bmp, &layout, out),
            _ => {
                let rows = RowDecoder::new(bmp, &layout, self.kernels());
                rows.decode_rows(bmp, &layout, out, self.threads.max());
            }
        }
        Ok(Dims {
            width: layout.width,
            height: layout.height,
        })
    }
}

/// One 8-bit channel lookup: `table[(px >> shift) & max]`, or the formula for wide channels.
#[derive(Debug, Clone)]
struct ChannelLut {
    channel: Channel,
    max: u32,
    table: [u8; 256],
    absent: u8,
}

impl ChannelLut {
    fn new(channel: Channel, absent: u8) -> Self {
        let mut table = [0u8; 256];
        if (1..=8).contains(&channel.bits) {
            for (v, slot) in table.iter_mut().enumerate().take(1 << channel.bits) {
                *slot = crate::format::masks::scale(v as u32, channel.bits);
            }
        }
        let max = ((1u64 << channel.bits) - 1) as u32;
        ChannelLut {
            channel,
            max,
            table,
            absent,
        }
    }

    #[inline(always)]
    fn get(&self, px: u32) -> u8 {
        match self.channel.bits {
            0 => self.absent,
            1..=8 => self.table[((px >> self.channel.shift) & self.max) as usize],
            _ => self.channel.extract(px, self.absent),
        }
    }
}

/// One channel of a 16-bit pixel scaled without a table, in 16-bit arithmetic:
/// `((px >> shift) & max) * mul + add) >> post`. `mul`, `add` and `post` are searched for
/// when the decoder is built and kept only if they reproduce the exact rounding rule of
/// [`crate::format::masks::scale`] for every channel value; an absent channel is
/// `max = 0, add = its constant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scale16 {
    shift: u16,
    max: u16,
    mul: u16,
    add: u16,
    post: u16,
}

impl Scale16 {
    /// Parameters for all four channels, or `None` when a channel is wider than 8 bits or
    /// no parameters reproduce the exact rule.
    fn for_masks(masks: &Masks) -> Option<[Scale16; 4]> {
        Some([
            Self::for_channel(masks.r, 0)?,
            Self::for_channel(masks.g, 0)?,
            Self::for_channel(masks.b, 0)?,
            Self::for_channel(masks.a, 255)?,
        ])
    }

    fn for_channel(c: Channel, absent: u8) -> Option<Scale16> {
        if c.bits == 0 {
            return Some(Scale16 {
                shift: 0,
                max: 0,
                mul: 0,
                add: u16::from(absent),
                post: 0,
            });
        }
        if c.bits > 8 {
            return None;
        }
        let max = (1u32 << c.bits) - 1;
        let exact = |s: &Scale16| {
            (0..=max).all(|v| s.apply(v as u16) == Some(crate::format::masks::scale(v, c.bits)))
        };
        (0..=8u32).find_map(|post| {
            let ideal = (255u32 << post) / max;
            (ideal.saturating_sub(2)..=ideal + 2).find_map(|mul| {
                (0..=(1u32 << post)).find_map(|add| {
                    let s = Scale16 {
                        shift: c.shift as u16,
                        max: max as u16,
                        mul: u16::try_from(mul).ok()?,
                        add: u16::try_from(add).ok()?,
                        post: post as u16,
                    };
                    exact(&s).then_some(s)
                })
            })
        })
    }

    /// The scaled value of raw channel value `v`, `None` if the 16-bit lane would overflow.
    fn apply(&self, v: u16) -> Option<u8> {
        let x = u32::from(v) * u32::from(self.mul) + u32::from(self.add);
        (x <= 0xffff).then(|| (x >> self.post) as u8)
    }

    /// This channel of 16-bit pixel `px`, scaled.
    fn pixel(&self, px: u16) -> u8 {
        self.apply((px >> self.shift) & self.max).unwrap_or(0)
    }
}

thread_local! {
    /// The last 16-bit table built on this thread, with the masks it was built for.
    static TABLE16: RefCell<Option<(Masks, Arc<[u32]>)>> = const { RefCell::new(None) };
}

/// The 65,536-entry RGBA table for 16-bit `masks`, reused while the masks stay the same.
fn table16(masks: Masks) -> Arc<[u32]> {
    TABLE16.with(|cell| {
        let mut cached = cell.borrow_mut();
        if let Some((m, t)) = cached.as_ref() {
            if *m == masks {
                return Arc::clone(t);
            }
        }
        let t: Arc<[u32]> = (0..=u16::MAX)
            .map(|px| u32::from_ne_bytes(masks.rgba(u32::from(px))))
            .collect();
        *cached = Some((masks, Arc::clone(&t)));
        t
    })
}

/// Everything needed to turn one stored row into one output row, built once per image.
///
/// Tables live inline (up to 8 KiB) rather than boxed: one `Row` is built on the stack per
/// frame, and boxing would cost an allocation per frame in the shared-memory read loop.
#[allow(clippy::large_enum_variant)]
enum Row {
    /// 8-bit indices.
    Pal8(Palette8),
    /// 1/2/4-bit indices: `per_byte` pixels for each of the 256 byte values.
    PalBits {
        per_byte: usize,
        expanded: [u32; 2048],
        palette: Palette8,
    },
    /// B, G, R bytes.
    Bgr24,
    /// B, G, R, X bytes (32-bit with the default masks); `alpha` keeps the fourth byte.
    Bgra32 { alpha: bool },
    /// Any 16-bit masks: one table over all 65,536 pixel values.
    Table16(Arc<[u32]>),
    /// 16-bit masks of at most 8 bits a channel, scaled arithmetically (SIMD kernels).
    Bits16 {
        masks: Masks,
        channels: [Scale16; 4],
    },
    /// Any other 32-bit masks.
    Masks32([ChannelLut; 4]),
}

impl Row {
    /// 1/2/4-bit (`bpp`) indices into `table`.
    fn pal_bits(table: [u32; 256], bpp: u8) -> Row {
        let per_byte = usize::from(8 / bpp);
        let mask = (1u8 << bpp) - 1;
        let mut expanded = [0u32; 2048];
        for byte in 0..=255u8 {
            for k in 0..per_byte {
                let shift = 8 - usize::from(bpp) * (k + 1);
                expanded[usize::from(byte) * per_byte + k] =
                    table[usize::from((byte >> shift) & mask)];
            }
        }
        Row::PalBits {
            per_byte,
            expanded,
            palette: Palette8::new(table),
        }
    }
}

/// A palette as 256 packed RGBA entries and as four byte planes (all the R bytes, then G, B,
/// A), the form byte-permute kernels look up in.
struct Palette8 {
    table: [u32; 256],
    planes: [[u8; 256]; 4],
}

impl Palette8 {
    fn new(table: [u32; 256]) -> Self {
        let mut planes = [[0u8; 256]; 4];
        for (i, entry) in table.iter().enumerate() {
            for (plane, byte) in planes.iter_mut().zip(entry.to_ne_bytes()) {
                plane[i] = byte;
            }
        }
        Palette8 { table, planes }
    }
}

struct RowDecoder {
    row: Row,
    kernels: Kernels,
}

impl RowDecoder {
    fn new(bmp: &[u8], layout: &Layout, kernels: Kernels) -> Self {
        let row = match layout.format {
            PixelFormat::Indexed { bpp: 8 } => {
                Row::Pal8(Palette8::new(palette::table(bmp, layout)))
            }
            PixelFormat::Indexed { bpp } => Row::pal_bits(palette::table(bmp, layout), bpp),
            PixelFormat::Bgr24 => Row::Bgr24,
            PixelFormat::Bitfields { bpp: 16, masks } => match Scale16::for_masks(&masks) {
                Some(channels) if kernels >= Kernels::Avx2 => Row::Bits16 { masks, channels },
                _ => Row::Table16(table16(masks)),
            },
            PixelFormat::Bitfields { masks, .. } => {
                let [r, g, b, _] = Masks::RGB888;
                let byte_aligned =
                    masks.r.mask() == r && masks.g.mask() == g && masks.b.mask() == b;
                if byte_aligned && (masks.a.is_absent() || masks.a.mask() == 0xff00_0000) {
                    Row::Bgra32 {
                        alpha: !masks.a.is_absent(),
                    }
                } else {
                    Row::Masks32([
                        ChannelLut::new(masks.r, 0),
                        ChannelLut::new(masks.g, 0),
                        ChannelLut::new(masks.b, 0),
                        ChannelLut::new(masks.a, 255),
                    ])
                }
            }
            PixelFormat::Rle8 | PixelFormat::Rle4 => {
                unreachable!("RLE images are not decoded row by row")
            }
        };
        RowDecoder { row, kernels }
    }

    /// Decodes every stored row of an uncompressed image into `out`, on `threads` threads.
    fn decode_rows(&self, bmp: &[u8], layout: &Layout, out: &mut [u8], threads: usize) {
        let data = layout.pixel_data(bmp);
        let out_row = layout.width as usize * 4;
        let h = layout.height as usize;
        // Output row y comes from stored row `layout.output_row(y)` (the mapping is its own
        // inverse). Rows are visited in stored order, so the source is read front to back:
        // measured here, walking a bottom-up 32-bit source backwards row by row costs ~1.4×.
        let rows = |first: usize, chunk: &mut [u8]| {
            let each = chunk.chunks_exact_mut(out_row).enumerate();
            let mut decode = |(i, dst): (usize, &mut [u8])| {
                let r = layout.output_row(first + i);
                self.decode_row(&data[r * layout.stride..][..layout.row_bytes], dst);
            };
            if layout.top_down {
                each.for_each(&mut decode);
            } else {
                each.rev().for_each(&mut decode);
            }
        };
        // A thread costs tens of microseconds to start: give each at least 1 MiB of output.
        let threads = threads.min(out.len() / (1 << 20)).clamp(1, h);
        if threads == 1 {
            rows(0, out);
            return;
        }
        let per = h.div_ceil(threads);
        std::thread::scope(|s| {
            for (t, chunk) in out.chunks_mut(per * out_row).enumerate() {
                let rows = &rows;
                s.spawn(move || rows(t * per, chunk));
            }
        });
    }

    /// Decodes one stored row (`row_bytes` long, no padding) into `dst` (`width * 4` long).
    #[inline]
    fn decode_row(&self, src: &[u8], dst: &mut [u8]) {
        #[cfg(target_arch = "x86_64")]
        if self.kernels != Kernels::Scalar && x86::decode_row(self.kernels, &self.row, src, dst) {
            return;
        }
        scalar::decode_row(&self.row, src, dst);
    }
}

/// Writes RLE runs as repeated table entries.
struct TableSink<'a> {
    table: [u32; 256],
    width: usize,
    out: &'a mut [u8],
}

impl rle::Sink for TableSink<'_> {
    fn run(&mut self, row: usize, x: usize, count: usize, even: u8, odd: u8) {
        let at = (row * self.width + x) * 4;
        let dst = &mut self.out[at..at + count * 4];
        let e = self.table[usize::from(even)].to_ne_bytes();
        if even == odd {
            for d in dst.chunks_exact_mut(4) {
                d.copy_from_slice(&e);
            }
            return;
        }
        let o = self.table[usize::from(odd)].to_ne_bytes();
        for (i, d) in dst.chunks_exact_mut(4).enumerate() {
            d.copy_from_slice(if i % 2 == 0 { &e } else { &o });
        }
    }

    fn literal(&mut self, row: usize, x: usize, indices: &[u8]) {
        let at = (row * self.width + x) * 4;
        scalar::pal8(
            &self.table,
            indices,
            &mut self.out[at..at + indices.len() * 4],
        );
    }
}

fn decode_rle(bmp: &[u8], layout: &Layout, out: &mut [u8]) {
    let table = palette::table(bmp, layout);
    let fill = table[0].to_ne_bytes();
    for d in out.chunks_exact_mut(4) {
        d.copy_from_slice(&fill);
    }
    let mut bytes = layout.pixel_data(bmp).iter().copied();
    let mut sink = TableSink {
        table,
        width: layout.width as usize,
        out,
    };
    rle::decode(layout, || bytes.next(), &mut sink);
}
