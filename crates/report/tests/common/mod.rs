//! Shared by the report tests: the demo's Mettmann agreement with its current values.

use zielwerk_domain::CurrentValue;

/// The demo agreement of Mettmann and its current values (totals only), as the store would
/// give them.
pub fn demo_values() -> (zielwerk_domain::Agreement, Vec<CurrentValue>) {
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    let agreement = demo.agreements[0].clone();
    let values = demo
        .batches
        .iter()
        .flat_map(|b| {
            b.observations
                .iter()
                .filter(|o| o.region == agreement.jobcenter.ba_id && o.breakdown.is_none())
                .map(|o| CurrentValue {
                    observation: o.clone(),
                    source_kind: b.source.kind,
                    source_label: b.source.label.clone(),
                })
        })
        .collect();
    (agreement, values)
}
