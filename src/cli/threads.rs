//! `--threads N`: `lut` and its kernel levels with rows split over up to N threads.

use std::num::NonZeroUsize;

use shmbmp_suite::format::PixelLayout;
use shmbmp_suite::{by_name, Decode, DecodeError, Decoder, Dims, Limits, Lut, Threads};

/// `--threads`: how many threads `lut` and its kernel levels may split an image's rows over.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ThreadArgs {
    /// At most this many threads for lut and its kernel levels (rows in bands shared with
    /// helper threads that live across frames; small images stay on one); naive runs on one, lut_mt on every core, peers
    /// their own way, so they take only 1.
    #[arg(long, default_value = "1", value_name = "N")]
    pub threads: NonZeroUsize,
}

/// `--threads` of `shmbmp read`, whose default differs: unset, `lut` and its kernel levels
/// decode a frame the reader waited for on up to two threads and one already there on one
/// ([`Threads::for_frame`]).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ReaderThreadArgs {
    /// At most this many threads for every frame (lut and its kernel levels). Unset: lut
    /// and its levels decode a frame the reader waited for on up to 2 threads (its caches
    /// cold, the other cores idle) and one already there (a writer faster than the reader)
    /// on 1; other decoders on 1.
    #[arg(long, value_name = "N")]
    pub threads: Option<NonZeroUsize>,
}

impl ReaderThreadArgs {
    /// The thread count to pick the decoder with (1 when unset).
    pub fn fixed(self) -> NonZeroUsize {
        self.threads.unwrap_or(NonZeroUsize::MIN)
    }

    /// The `lut` (or kernel level) called `decoder` whose threads follow each frame, when
    /// `--threads` is unset and the decoder takes a thread count.
    pub fn per_frame(self, decoder: &str) -> Option<Lut> {
        self.threads
            .is_none()
            .then(|| Lut::named(decoder))
            .flatten()
    }

    /// The threads `decoder` uses for a frame the reader waited for, when it takes a thread
    /// count: the reader has their helpers wait with it ([`Reader::waking_helpers`]).
    ///
    /// [`Reader::waking_helpers`]: shmbmp_suite::shm::Reader::waking_helpers
    pub fn for_waited_frames(self, decoder: &str) -> Option<Threads> {
        Lut::named(decoder)?;
        Some(
            self.threads
                .map_or(Threads::for_frame(true), Threads::AtMost),
        )
    }
}

/// A [`Lut`] on more than one thread, under a name that says how many: `lut on 2 threads`.
#[derive(Debug)]
pub struct Threaded {
    lut: Lut,
    name: &'static str,
}

impl Decode for Threaded {
    fn name(&self) -> &'static str {
        self.name
    }

    fn decode_into_slice_as(
        &self,
        bmp: &[u8],
        limits: &Limits,
        pixels: PixelLayout,
        out: &mut [u8],
    ) -> Result<Dims, DecodeError> {
        self.lut.decode_into_slice_as(bmp, limits, pixels, out)
    }
}

/// `lut` or the kernel level called `name` on up to `threads` threads (more than 1), or
/// `None` for a decoder that has no thread count of its own (naive, lut_mt, the peers).
///
/// Leaked, once per command: the CLI's decoders live as long as the process, like the
/// registry's.
pub fn threaded(name: &str, threads: NonZeroUsize) -> Option<&'static Threaded> {
    let lut = Lut::named(name)?;
    let name = format!("{name} on {threads} threads");
    Some(Box::leak(Box::new(Threaded {
        lut: lut.with_threads(Threads::AtMost(threads)),
        name: Box::leak(name.into_boxed_str()),
    })))
}

/// A decoder of the registry, or one of ours on `--threads` threads.
#[derive(Clone, Copy)]
pub struct Picked {
    /// As the suite times and runs it.
    pub decoder: &'static dyn Decoder,
    /// The same when it is ours (it writes every pixel layout), `None` for a peer.
    pub ours: Option<&'static dyn Decode>,
}

/// The decoder called `name` on `threads` threads; more than 1 is refused, saying why, for
/// a decoder that does not take a thread count.
pub fn pick(name: &str, threads: NonZeroUsize) -> Result<Picked, String> {
    let decoder = by_name(name).map_err(|e| e.to_string())?;
    if threads.get() == 1 {
        return Ok(Picked {
            decoder,
            ours: shmbmp::by_name(name).ok(),
        });
    }
    let t = threaded(name, threads).ok_or_else(|| no_threads(name, threads))?;
    Ok(Picked {
        decoder: t,
        ours: Some(t),
    })
}

/// Why `name` does not run on `threads` threads.
fn no_threads(name: &str, threads: NonZeroUsize) -> String {
    let why = if name == Decode::name(&Lut::PARALLEL) {
        format!(
            "{name} splits rows over every core already; for at most {threads} threads use --decoder lut --threads {threads}"
        )
    } else if name == "naive" {
        format!("{name} decodes on one thread")
    } else {
        format!("{name} is a peer that decodes its own way")
    };
    format!("--threads {threads}: {why}; --threads applies to lut and its kernel levels")
}
