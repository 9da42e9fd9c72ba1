//! Kernel levels: which SIMD extensions the row kernels may use, detected once per process.

use std::sync::OnceLock;

/// Which row kernels run; levels are ordered, each one using the best of its own kernels
/// and those of the levels below (the order matters only among one architecture's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kernels {
    /// Portable safe code: the reference.
    Scalar,
    /// aarch64 NEON (Advanced SIMD) table lookups for palettes.
    Neon,
    /// x86-64 SSSE3 + AVX2.
    Avx2,
    /// x86-64 AVX-512 VBMI byte permutes for 8-bit palettes, AVX2 for the rest.
    Avx512Vbmi,
}

impl Kernels {
    /// Every level, slowest first.
    pub const ALL: [Kernels; 4] = [
        Kernels::Scalar,
        Kernels::Neon,
        Kernels::Avx2,
        Kernels::Avx512Vbmi,
    ];

    /// The best kernels this CPU runs, capped by `SHMBMP_SIMD` (read once): `off` forces
    /// the scalar reference, `avx2` stops below AVX-512, `neon` below the x86 levels. Any
    /// other value is ignored with a one-time warning on stderr ([`Kernels::from_env`] lets a
    /// program refuse it instead).
    pub fn detect() -> Kernels {
        static DETECTED: OnceLock<Kernels> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let cap = Kernels::from_env().unwrap_or_else(|e| {
                use std::io::Write as _;
                let _ = writeln!(std::io::stderr(), "shmbmp: {e}; using the best kernels");
                None
            });
            let cap = cap.unwrap_or(Kernels::Avx512Vbmi);
            Kernels::ALL
                .into_iter()
                .rev()
                .find(|k| *k <= cap && k.supported())
                .unwrap_or(Kernels::Scalar)
        })
    }

    /// The cap `SHMBMP_SIMD` sets: `None` when it is unset or empty, or why its value is
    /// not one of `off`, `neon` and `avx2`.
    pub fn from_env() -> Result<Option<Kernels>, String> {
        let Some(v) = std::env::var_os("SHMBMP_SIMD") else {
            return Ok(None);
        };
        match v.to_str() {
            Some("") => Ok(None),
            Some("off") => Ok(Some(Kernels::Scalar)),
            Some("neon") => Ok(Some(Kernels::Neon)),
            Some("avx2") => Ok(Some(Kernels::Avx2)),
            _ => Err(format!(
                "SHMBMP_SIMD={v:?} is not understood: set it to \"off\" (scalar kernels \
                 only), \"neon\" (aarch64) or \"avx2\" (nothing above AVX2), or unset it \
                 for the best kernels this CPU runs"
            )),
        }
    }

    /// Whether this CPU can run these kernels.
    pub fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("ssse3");
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = false;
        match self {
            Kernels::Scalar => true,
            #[cfg(target_arch = "aarch64")]
            Kernels::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            #[cfg(not(target_arch = "aarch64"))]
            Kernels::Neon => false,
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

    /// The name of the single-thread `lut` forced onto these kernels ([`Lut::with_kernels`](super::Lut::with_kernels)).
    pub fn lut_name(self) -> &'static str {
        match self {
            Kernels::Scalar => "lut_scalar",
            Kernels::Neon => "lut_neon",
            Kernels::Avx2 => "lut_avx2",
            Kernels::Avx512Vbmi => "lut_avx512vbmi",
        }
    }

    /// What a CPU must offer to run these kernels, in words.
    pub fn needs(self) -> &'static str {
        match self {
            Kernels::Scalar => "nothing",
            Kernels::Neon => "aarch64 with NEON (Advanced SIMD)",
            Kernels::Avx2 => "x86-64 with AVX2 and SSSE3",
            Kernels::Avx512Vbmi => "x86-64 with AVX-512 F, BW and VBMI",
        }
    }

    /// A short name for reports: `scalar`, `neon`, `avx2`, `avx512vbmi`.
    pub fn name(self) -> &'static str {
        match self {
            Kernels::Scalar => "scalar",
            Kernels::Neon => "neon",
            Kernels::Avx2 => "avx2",
            Kernels::Avx512Vbmi => "avx512vbmi",
        }
    }
}
