//! Adapter over `zune-bmp`: `BmpDecoder::decode` into its native grey, RGB or RGBA bytes.

use zune_bmp::BmpDecoder;
use zune_core::bytestream::ZCursor;

use super::peer::{guarded, peer_decoder, Native, Peer};
use super::{Error, Limits};

/// zune-bmp's decoder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Zune;

impl Peer for Zune {
    fn name(&self) -> &'static str {
        "zune"
    }

    fn api(&self) -> &'static str {
        "zune_bmp::BmpDecoder::new(ZCursor::new(..)).decode()"
    }

    fn call(&self, bmp: &[u8], limits: &Limits) -> Result<Native, Error> {
        let err = |e: zune_bmp::BmpDecoderErrors| Error::Peer {
            decoder: "zune",
            message: format!("{e:?}"),
        };
        guarded(Peer::name(self), bmp, limits, || {
            let mut dec = BmpDecoder::new(ZCursor::new(bmp));
            let pixels = dec.decode().map_err(err)?;
            let (w, h) = dec.dimensions().unwrap_or_default();
            let channels = dec.colorspace().map(|c| c.num_components()).unwrap_or(0);
            Native::packed("zune", w as u32, h as u32, channels, pixels)
        })
    }
}

peer_decoder!(Zune);
