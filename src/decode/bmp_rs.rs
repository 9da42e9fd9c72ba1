//! Adapter over the `bmp` crate: `bmp::from_reader` into its `Image`.

use super::peer::{guarded, peer_decoder, Native, Peer};
use super::{Error, Limits};

/// The `bmp` crate's decoder; its `Image` has no alpha, so alpha is always 255.
#[derive(Debug, Clone, Copy, Default)]
pub struct BmpCrate;

impl Peer for BmpCrate {
    fn name(&self) -> &'static str {
        "bmp"
    }

    fn api(&self) -> &'static str {
        "bmp::from_reader(&mut Cursor::new(..))"
    }

    fn call(&self, bmp: &[u8], limits: &Limits) -> Result<Native, Error> {
        guarded(Peer::name(self), bmp, limits, || {
            bmp::from_reader(&mut std::io::Cursor::new(bmp))
                .map(Native::Bmp)
                .map_err(|e| Error::Peer {
                    decoder: "bmp",
                    message: e.to_string(),
                })
        })
    }
}

peer_decoder!(BmpCrate);
