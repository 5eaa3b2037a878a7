//! What the importer's tests share: one import run as a test user.

use zielwerk_importer::{Report, Request};
use zielwerk_ingest::mapped::Mapping;
use zielwerk_store::Store;

/// Imports (and commits) `input` named `name`, through `mapping` if given; panics with the
/// refusal's text otherwise.
pub async fn import(
    store: &Store,
    name: &str,
    input: Box<dyn std::io::Read + Send>,
    mapping: Option<Mapping>,
    commit: bool,
) -> Report {
    let request = Request {
        name: name.into(),
        input,
        mapping,
        recorded_by: "Test".into(),
        via: "Test",
        commit,
        may_write: None,
        progress: None,
        by_hand: false,
        about: None,
    };
    zielwerk_importer::run(store, request, "02.12.2026 10:00")
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}
