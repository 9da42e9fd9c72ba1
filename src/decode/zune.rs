//! Adapter over `zune-bmp` (`BmpDecoder::decode`, grey/RGB/RGBA expanded to RGBA).

use zune_bmp::BmpDecoder;
use zune_core::bytestream::ZCursor;

use super::peer::{guarded, to_rgba};
use super::{Decoder, Dims, Error, Limits, Origin};

/// zune-bmp's decoder.
#[derive(Debug, Clone, Copy, Default)]
pub struct Zune;

impl Decoder for Zune {
    fn name(&self) -> &'static str {
        "zune"
    }

    fn origin(&self) -> Origin {
        Origin::Peer
    }

    fn decode_into(&self, bmp: &[u8], limits: &Limits, out: &mut Vec<u8>) -> Result<Dims, Error> {
        let err = |e: zune_bmp::BmpDecoderErrors| Error::Peer {
            decoder: "zune",
            message: format!("{e:?}"),
        };
        guarded(self.name(), bmp, limits, || {
            let mut dec = BmpDecoder::new(ZCursor::new(bmp));
            let pixels = dec.decode().map_err(err)?;
            let (w, h) = dec.dimensions().unwrap_or_default();
            let channels = dec.colorspace().map(|c| c.num_components()).unwrap_or(0);
            to_rgba(self.name(), &pixels, channels, w as u32, h as u32, out)
        })
    }
}
