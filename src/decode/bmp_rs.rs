//! Adapter over the `bmp` crate (`bmp::from_reader`, then `get_pixel` per pixel).

use super::peer::guarded;
use super::peer::prepare_output;
use super::{Decoder, Dims, Error, Limits, Origin};

/// The `bmp` crate's decoder; it has no alpha, so alpha is always 255.
#[derive(Debug, Clone, Copy, Default)]
pub struct BmpCrate;

impl Decoder for BmpCrate {
    fn name(&self) -> &'static str {
        "bmp"
    }

    fn origin(&self) -> Origin {
        Origin::Peer
    }

    fn decode_into(&self, bmp: &[u8], limits: &Limits, out: &mut Vec<u8>) -> Result<Dims, Error> {
        guarded(self.name(), bmp, limits, || {
            let img =
                bmp::from_reader(&mut std::io::Cursor::new(bmp)).map_err(|e| Error::Peer {
                    decoder: "bmp",
                    message: e.to_string(),
                })?;
            let (width, height) = (img.get_width(), img.get_height());
            prepare_output(out, width as usize * height as usize * 4);
            let mut px = out.chunks_exact_mut(4);
            for y in 0..height {
                for x in 0..width {
                    let p = img.get_pixel(x, y);
                    if let Some(d) = px.next() {
                        d.copy_from_slice(&[p.r, p.g, p.b, 255]);
                    }
                }
            }
            Ok(Dims { width, height })
        })
    }
}
