//! The demo: Kreis Mettmann's 2022 trilateral agreement with generated monthly figures, and
//! Jobcenter Regensburg with its real published figures.
//!
//! Everything here is pure: it returns agreements and observations; the binary stores them.
//! Generated figures are labelled as demo figures wherever they are shown (their source kind is
//! [`SourceKind::Demo`]).

pub mod generator;
pub mod inkar;
pub mod national;
pub mod regensburg;
pub mod vorlage;

pub use vorlage::mettmann_vorlage;

use zielwerk_domain::{Agreement, Observation, Source, SourceKind};

/// The seed the README's run command uses.
pub const DEFAULT_SEED: u64 = 20_220_217;

const METTMANN_TOML: &str = include_str!("../../../examples/agreement-mettmann-2022.toml");
const REGENSBURG_TOML: &str = include_str!("../../../examples/agreement-regensburg-2026.toml");

/// One batch of values from one source.
#[derive(Debug, Clone)]
pub struct Batch {
    pub source: Source,
    pub observations: Vec<Observation>,
}

/// Everything the demo database holds.
#[derive(Debug, Clone)]
pub struct Demo {
    pub agreements: Vec<Agreement>,
    pub batches: Vec<Batch>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Agreement(#[from] zielwerk_ingest::AgreementFileError),
    #[error(transparent)]
    Regensburg(#[from] regensburg::RegensburgError),
}

/// The Mettmann 2022 agreement as shipped in `examples/`.
pub fn mettmann_agreement() -> Result<Agreement, DemoError> {
    Ok(zielwerk_ingest::parse(
        "examples/agreement-mettmann-2022.toml",
        METTMANN_TOML,
    )?)
}

/// The Regensburg 2026 agreement (example targets) as shipped in `examples/`.
pub fn regensburg_agreement() -> Result<Agreement, DemoError> {
    Ok(zielwerk_ingest::parse(
        "examples/agreement-regensburg-2026.toml",
        REGENSBURG_TOML,
    )?)
}

/// Builds the whole demo for `seed`. The same seed always gives the same figures.
pub fn build(seed: u64) -> Result<Demo, DemoError> {
    let mettmann = mettmann_agreement()?;
    let regensburg = regensburg_agreement()?;
    let generated = generator::generate(&mettmann.jobcenter.ba_id, seed);
    Ok(Demo {
        agreements: vec![mettmann, regensburg],
        batches: vec![
            Batch {
                source: Source {
                    kind: SourceKind::Demo,
                    label: format!("Demodaten (erzeugt, Startwert {seed})"),
                    detail: "Erzeugt vom dokumentierten Demo-Generator von Zielwerk (crates/demo/src/generator.rs), kalibriert auf öffentliche Größenordnungen für den Kreis Mettmann. Keine amtlichen Zahlen.".into(),
                    file_name: None,
                    sha256: None,
                },
                observations: generated,
            },
            Batch {
                source: regensburg::source(),
                observations: regensburg::figures()?,
            },
        ],
    })
}
