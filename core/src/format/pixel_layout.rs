//! The layouts decoders write pixels in: canonical RGBA, or what a consumer wants.

use std::fmt;
use std::str::FromStr;

/// How decoded pixels are laid out in the output, rows top-down and tightly packed.
///
/// | layout | bytes | for |
/// |---|--:|---|
/// | `Rgba` | 4 | the canonical output; browsers, PNG, most GPU uploads |
/// | `Bgra` | 4 | Windows and .NET (`Format32bppArgb`, WPF `Bgra32`, Direct2D) |
/// | `Rgb` | 3 | numpy, PIL, matplotlib, ML pipelines |
/// | `Bgr` | 3 | OpenCV (`cv2.imdecode(..., IMREAD_COLOR)`) |
///
/// The 3-byte layouts drop alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PixelLayout {
    /// R, G, B, A: the canonical output.
    #[default]
    Rgba,
    /// B, G, R, A.
    Bgra,
    /// R, G, B.
    Rgb,
    /// B, G, R.
    Bgr,
}

impl PixelLayout {
    /// Every layout, canonical first.
    pub const ALL: [PixelLayout; 4] = [
        PixelLayout::Rgba,
        PixelLayout::Bgra,
        PixelLayout::Rgb,
        PixelLayout::Bgr,
    ];

    /// Bytes a pixel: 4 or 3.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelLayout::Rgba | PixelLayout::Bgra => 4,
            PixelLayout::Rgb | PixelLayout::Bgr => 3,
        }
    }

    /// Whether blue comes first (BGRA, BGR).
    pub fn blue_first(self) -> bool {
        matches!(self, PixelLayout::Bgra | PixelLayout::Bgr)
    }

    /// The name used by the CLI and the Python package: `RGBA`, `BGRA`, `RGB`, `BGR`.
    pub fn name(self) -> &'static str {
        match self {
            PixelLayout::Rgba => "RGBA",
            PixelLayout::Bgra => "BGRA",
            PixelLayout::Rgb => "RGB",
            PixelLayout::Bgr => "BGR",
        }
    }

    /// One canonical RGBA pixel in this layout (the first [`bytes_per_pixel`] bytes count):
    /// the scalar reference every decoder's layouts are checked against.
    ///
    /// [`bytes_per_pixel`]: PixelLayout::bytes_per_pixel
    #[inline]
    pub fn from_rgba(self, [r, g, b, a]: [u8; 4]) -> [u8; 4] {
        if self.blue_first() {
            [b, g, r, a]
        } else {
            [r, g, b, a]
        }
    }

    /// A whole canonical RGBA image reordered into this layout (the reference conversion;
    /// decoders write each layout directly instead).
    pub fn convert(self, rgba: &[u8]) -> Vec<u8> {
        let n = self.bytes_per_pixel();
        rgba.chunks_exact(4)
            .flat_map(|p| {
                let px = self.from_rgba([p[0], p[1], p[2], p[3]]);
                px.into_iter().take(n)
            })
            .collect()
    }
}

impl fmt::Display for PixelLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a pixel layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pixel layout {0:?}; choose one of RGBA, BGRA, RGB, BGR")]
pub struct UnknownPixelLayout(pub String);

impl FromStr for PixelLayout {
    type Err = UnknownPixelLayout;

    /// `RGBA`, `BGRA`, `RGB` or `BGR`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PixelLayout::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPixelLayout(s.into()))
    }
}
