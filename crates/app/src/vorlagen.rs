//! Vorlagen to the committee: a draft made from an agreement, saved with a revision guard,
//! published (frozen with its files). Each command is authorised inside: preparing and
//! publishing are the Kreis's (`Action::PrepareVorlage`, `Action::PublishVorlage`).

use zielwerk_domain::{Action, Principal, VorlageHeader};
use zielwerk_store::{NewFile, Store, StoredVorlage};

use crate::{AppError, access, reads};

fn missing(id: &str) -> String {
    format!("Die Vorlage „{id}“ gibt es nicht.")
}

/// The Vorlage `id` for `p` doing `action`; another Jobcenter's is not found.
pub async fn vorlage_for(
    store: &Store,
    p: &Principal,
    id: &str,
    action: Action,
) -> Result<StoredVorlage, AppError> {
    access::stored(
        p,
        store.vorlage(id).await?,
        |v| &v.jobcenter,
        action,
        || missing(id),
    )
}

/// Makes a draft Vorlage for agreement `id`, dated `today`; returns its id.
pub async fn create_draft(
    store: &Store,
    p: &Principal,
    id: &str,
    today: chrono::NaiveDate,
) -> Result<String, AppError> {
    let key = reads::agreement_key(p, id, Action::PrepareVorlage)?;
    let agreement = store
        .agreement(&key)
        .await?
        .ok_or_else(|| AppError::NotFound(reads::agreement_missing(id)))?;
    Ok(store
        .acting_as(&p.audit_name())
        .create_vorlage(&key, &VorlageHeader::draft(&agreement, today))
        .await?)
}

/// Saves a draft's header; a change in between is a conflict, a published Vorlage is frozen.
pub async fn save(
    store: &Store,
    p: &Principal,
    id: &str,
    header: &VorlageHeader,
    revision: i64,
) -> Result<i64, AppError> {
    vorlage_for(store, p, id, Action::PrepareVorlage).await?;
    Ok(store
        .acting_as(&p.audit_name())
        .update_vorlage(id, header, revision)
        .await?)
}

/// Publishes a complete Vorlage: PDF, DOCX and Anlagen are set and frozen; returns the files.
pub async fn publish(
    store: &Store,
    p: &Principal,
    id: &str,
    today: chrono::NaiveDate,
) -> Result<Vec<NewFile>, AppError> {
    vorlage_for(store, p, id, Action::PublishVorlage).await?;
    crate::documents::publish(&store.acting_as(&p.audit_name()), id, today).await
}
