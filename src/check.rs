//! Running every decoder on one input and saying how each compares with `naive`, the oracle.

use std::cell::Cell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Once};
use std::time::Duration;

use crate::decode::{registry, Decoder, Frame, Origin};
use crate::error::{DecodeError, Error};
use crate::format::Limits;

/// How one decoder's output compares with a reference frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agreement {
    /// Same size and the same RGBA bytes.
    Identical,
    /// Same size, different pixels.
    Differs {
        /// Pixels with at least one differing channel.
        pixels: usize,
        /// Largest absolute difference of any channel.
        max_delta: u8,
    },
    /// Different width or height.
    SizeDiffers {
        /// Width and height of the frame compared against the reference.
        got: (u32, u32),
    },
}

impl Agreement {
    /// Compares `got` with `want`.
    pub fn of(want: &Frame, got: &Frame) -> Self {
        if (want.width, want.height) != (got.width, got.height) {
            return Agreement::SizeDiffers {
                got: (got.width, got.height),
            };
        }
        let mut pixels = 0;
        let mut max_delta = 0;
        for (a, b) in want.rgba.chunks_exact(4).zip(got.rgba.chunks_exact(4)) {
            if a != b {
                pixels += 1;
                for (x, y) in a.iter().zip(b) {
                    max_delta = max_delta.max(x.abs_diff(*y));
                }
            }
        }
        if pixels == 0 {
            Agreement::Identical
        } else {
            Agreement::Differs { pixels, max_delta }
        }
    }
}

/// What one decoder did with one input, relative to the oracle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Decoded; compared with the oracle's frame (or `None` when the oracle failed).
    Decoded(Option<Agreement>),
    /// Returned an error (including caught panics and refusals by limits).
    Failed(Error),
    /// A peer that decoded the same bytes to other pixels on a second call: it read memory
    /// it never wrote (stb_image on palette indices past a short palette), so its pixels
    /// are not compared.
    Unstable,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Decoded(Some(Agreement::Identical)) => write!(f, "identical"),
            Outcome::Decoded(Some(Agreement::Differs { pixels, max_delta })) => {
                write!(
                    f,
                    "differs ({pixels} pixels, max channel delta {max_delta})"
                )
            }
            Outcome::Decoded(Some(Agreement::SizeDiffers { got })) => {
                write!(f, "differs (size {}x{})", got.0, got.1)
            }
            Outcome::Decoded(None) => write!(f, "decoded (oracle failed)"),
            Outcome::Failed(Error::Decode(DecodeError::Unsupported(what))) => {
                write!(f, "unsupported: {what}")
            }
            Outcome::Failed(e @ (Error::Panicked { .. } | Error::TimedOut { .. })) => {
                write!(f, "{}", e.kind())
            }
            Outcome::Failed(e) => write!(f, "error: {e}"),
            Outcome::Unstable => write!(
                f,
                "decoded, differs from run to run (reads memory it never wrote)"
            ),
        }
    }
}

impl Outcome {
    /// [`Display`](fmt::Display), with a panic's text and place and a time-out's budget on
    /// the same line: for a table a person reads (snapshots keep the short form).
    pub fn detailed(&self) -> String {
        match self {
            Outcome::Failed(Error::Panicked { message, .. }) => {
                format!(
                    "panicked: {}",
                    message.lines().collect::<Vec<_>>().join(" / ")
                )
            }
            Outcome::Failed(Error::TimedOut { millis, .. }) => {
                format!("timed out after {millis} ms")
            }
            other => other.to_string(),
        }
    }
}

/// One row of an agreement table.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The decoder's registry name.
    pub decoder: &'static str,
    /// Ours or a peer.
    pub origin: Origin,
    /// What happened.
    pub outcome: Outcome,
    /// The decoded frame, when there was one.
    pub frame: Option<Frame>,
}

/// Whether `d` (a peer that decoded `bmp` once already) decodes it to other pixels when
/// the stack it runs on holds other leftovers: run twice, after filling 64 KiB of stack with
/// zeros, then with ones. Pixels taken from memory the decoder never wrote (stb_image's
/// palette past a short palette) then differ; a single second call would often find the
/// same leftovers as the first.
fn unstable(d: &dyn Decoder, bmp: &[u8], limits: &Limits) -> bool {
    #[inline(never)]
    fn fill_stack(byte: u8) {
        let mut scratch = [byte; 64 * 1024];
        std::hint::black_box(&mut scratch);
    }
    fill_stack(0);
    let zeros = d.decode(bmp, limits);
    fill_stack(0xff);
    let ones = d.decode(bmp, limits);
    zeros != ones
}

/// How long [`check_all`] lets one decoder run before reporting it as timed out.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The name of every thread [`decode_with_timeout`] starts begins with this.
const THREAD_PREFIX: &str = "decode-";

thread_local! {
    /// Where the last panic on this thread happened (set by the hook of [`hush_decoder_panics`]).
    static PANICKED_AT: Cell<Option<String>> = const { Cell::new(None) };
}

/// Installs, once, a panic hook that keeps panics on the threads of [`decode_with_timeout`]
/// off stderr (each is caught there and becomes its decoder's [`Error::Panicked`], with
/// where it happened, in the row of the file it belongs to); every other panic goes to the
/// hook that was there before.
fn hush_decoder_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let name = std::thread::current().name().map(str::to_owned);
            if name.is_some_and(|n| n.starts_with(THREAD_PREFIX)) {
                let at = info
                    .location()
                    .map(|l| format!("{}:{}:{}", short_path(l.file()), l.line(), l.column()));
                PANICKED_AT.with(|p| p.set(at));
                return;
            }
            previous(info)
        }));
    });
}

/// A source path without the cargo registry's folders: `bmp-0.5.0/src/decoder.rs`.
fn short_path(file: &str) -> &str {
    file.split_once("/registry/src/")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map_or(file, |(_, path)| path)
}

/// The text of a panic payload, when it is a string.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into())
}

/// Runs `decoder` on its own thread and waits at most `timeout`; a decoder that does not
/// return in time becomes [`Error::TimedOut`] (its thread is left running, detached:
/// Rust cannot stop a thread), one that panics [`Error::Panicked`] with the panic's text
/// and place, printed nowhere else.
pub fn decode_with_timeout(
    decoder: &'static dyn Decoder,
    bmp: Arc<[u8]>,
    limits: Limits,
    timeout: Duration,
) -> Result<Frame, Error> {
    hush_decoder_panics();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(format!("{THREAD_PREFIX}{}", decoder.name()))
        .spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(|| decoder.decode(&bmp, &limits)))
                .unwrap_or_else(|payload| {
                    Err(Error::Panicked {
                        decoder: decoder.name(),
                        message: payload_text(payload.as_ref()),
                    })
                })
                .map_err(|e| match (e, PANICKED_AT.take()) {
                    (Error::Panicked { decoder, message }, Some(at)) => Error::Panicked {
                        decoder,
                        message: format!("{message} (at {at})"),
                    },
                    (e, _) => e,
                });
            let _ = tx.send(result);
        });
    if spawned.is_err() {
        return Err(Error::Peer {
            decoder: decoder.name(),
            message: "could not start a thread to run the decoder".into(),
        });
    }
    rx.recv_timeout(timeout).unwrap_or(Err(Error::TimedOut {
        decoder: decoder.name(),
        millis: timeout.as_millis() as u64,
    }))
}

/// Runs every decoder in the registry on `bmp`, each under [`DEFAULT_TIMEOUT`], and compares
/// each with `naive`.
pub fn check_all(bmp: &[u8], limits: &Limits) -> Vec<Checked> {
    check_with(registry(), bmp, limits, DEFAULT_TIMEOUT)
}

/// Runs `decoders` on `bmp`, each on its own thread under `timeout`, and compares each with
/// the one named `naive` (when present).
pub fn check_with(
    decoders: &[&'static dyn Decoder],
    bmp: &[u8],
    limits: &Limits,
    timeout: Duration,
) -> Vec<Checked> {
    let shared: Arc<[u8]> = bmp.into();
    let results: Vec<(&dyn Decoder, Result<Frame, Error>)> = decoders
        .iter()
        .map(|d| {
            (
                *d,
                decode_with_timeout(*d, Arc::clone(&shared), *limits, timeout),
            )
        })
        .collect();
    let oracle = results
        .iter()
        .find(|(d, _)| d.name() == "naive")
        .and_then(|(_, r)| r.as_ref().ok())
        .cloned();
    results
        .into_iter()
        .map(|(d, r)| {
            let (outcome, frame) = match r {
                Ok(_) if d.origin() == Origin::Peer && unstable(d, bmp, limits) => {
                    (Outcome::Unstable, None)
                }
                Ok(frame) => (
                    Outcome::Decoded(oracle.as_ref().map(|o| Agreement::of(o, &frame))),
                    Some(frame),
                ),
                Err(e) => (Outcome::Failed(e), None),
            };
            Checked {
                decoder: d.name(),
                origin: d.origin(),
                outcome,
                frame,
            }
        })
        .collect()
}

/// True when every decoder of ours decoded `bmp` identically, or all of them failed alike.
pub fn ours_agree(rows: &[Checked]) -> bool {
    let ours: Vec<&Checked> = rows.iter().filter(|c| c.origin == Origin::Ours).collect();
    let all_identical = ours
        .iter()
        .all(|c| c.outcome == Outcome::Decoded(Some(Agreement::Identical)));
    let all_failed_alike = ours
        .windows(2)
        .all(|w| match (&w[0].outcome, &w[1].outcome) {
            (Outcome::Failed(a), Outcome::Failed(b)) => a == b,
            _ => false,
        })
        && ours.iter().all(|c| matches!(c.outcome, Outcome::Failed(_)));
    all_identical || all_failed_alike
}

/// What [`check_all`] found over many files, counted for a summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Files checked.
    pub files: usize,
    /// Files on which our decoders agree ([`ours_agree`]).
    pub agree: usize,
    /// Of those, files all of ours refused alike.
    pub refused_alike: usize,
    /// Files on which our decoders disagree.
    pub disagree: usize,
    /// Peer rows identical to the oracle.
    pub peer_identical: usize,
    /// Peer rows that decoded differently, or decoded where the oracle failed.
    pub peer_differ: usize,
    /// Peer rows with an error.
    pub peer_refused: usize,
    /// Peer rows that panicked (caught).
    pub peer_panicked: usize,
    /// Rows of any decoder that ran out of time.
    pub timed_out: usize,
}

impl Tally {
    /// Counts one file's rows.
    pub fn add(&mut self, rows: &[Checked]) {
        self.files += 1;
        if ours_agree(rows) {
            self.agree += 1;
            let mut ours = rows.iter().filter(|r| r.origin == Origin::Ours).peekable();
            if ours.peek().is_some() && ours.all(|r| matches!(r.outcome, Outcome::Failed(_))) {
                self.refused_alike += 1;
            }
        } else {
            self.disagree += 1;
        }
        for r in rows {
            let timed_out = matches!(r.outcome, Outcome::Failed(Error::TimedOut { .. }));
            self.timed_out += usize::from(timed_out);
            if r.origin != Origin::Peer || timed_out {
                continue;
            }
            match &r.outcome {
                Outcome::Decoded(Some(Agreement::Identical)) => self.peer_identical += 1,
                Outcome::Decoded(_) | Outcome::Unstable => self.peer_differ += 1,
                Outcome::Failed(Error::Panicked { .. }) => self.peer_panicked += 1,
                Outcome::Failed(_) => self.peer_refused += 1,
            }
        }
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
        write!(
            f,
            "checked {}: ours agree on {} ({} refused by all of ours), disagree on {}; \
             peers: {} identical, {} differ, {} refused, {} panicked; {} timed out",
            files(self.files),
            self.agree,
            self.refused_alike,
            self.disagree,
            self.peer_identical,
            self.peer_differ,
            self.peer_refused,
            self.peer_panicked,
            self.timed_out
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Dims;

    /// A decoder that never finishes in time.
    struct Stuck;

    impl Decoder for Stuck {
        fn name(&self) -> &'static str {
            "stuck"
        }
        fn origin(&self) -> Origin {
            Origin::Peer
        }
        fn decode_into(&self, _: &[u8], _: &Limits, _: &mut Vec<u8>) -> Result<Dims, Error> {
            std::thread::sleep(Duration::from_secs(5));
            Err(DecodeError::Unsupported("never".into()).into())
        }
    }

    #[test]
    fn a_decoder_that_hangs_is_reported_as_timed_out() {
        let bmp = crate::encode::encode(&crate::encode::fixture("pal8").unwrap().spec);
        let rows = check_with(
            &[&crate::Naive, &Stuck],
            &bmp,
            &Limits::default(),
            Duration::from_millis(200),
        );
        assert_eq!(
            rows[0].outcome,
            Outcome::Decoded(Some(Agreement::Identical))
        );
        assert_eq!(
            rows[1].outcome,
            Outcome::Failed(Error::TimedOut {
                decoder: "stuck",
                millis: 200
            })
        );
        assert_eq!(rows[1].outcome.to_string(), "timed out");
    }
}
