//! Parquet files as DuckDB writes them (`tests/data/`, see its PROVENANCE.md) are read like the
//! same records in CSV; a codec that is not built in is refused with what to do instead.

use chrono::NaiveDate;
use zielwerk_records::read::{Jobcenters, parquet_as_csv, read_payments, read_spells};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn spells_and_payments_written_by_duckdb() {
    let mut j = Jobcenters::default();
    let csv = parquet_as_csv(
        "leistungszeitraeume_duckdb.parquet",
        data("leistungszeitraeume_duckdb.parquet"),
    )
    .unwrap();
    let spells = read_spells(
        "leistungszeitraeume_duckdb.parquet",
        csv.as_slice(),
        &mut j,
        1,
    )
    .unwrap();
    assert_eq!(spells.len(), 2);
    assert_eq!((spells[0].person, spells[0].to), (1, None));
    assert_eq!(spells[1].to, NaiveDate::from_ymd_opt(2023, 1, 31));
    assert!(spells[1].alleinerziehend && !spells[0].alleinerziehend);
    assert_eq!(j.id(spells[0].jobcenter), Some("t36402"));

    let csv = parquet_as_csv("zahlungen_duckdb.parquet", data("zahlungen_duckdb.parquet")).unwrap();
    let payments = read_payments("zahlungen_duckdb.parquet", csv.as_slice(), &mut j, 1).unwrap();
    let cents: Vec<(i64, i64)> = payments
        .iter()
        .map(|p| (p.lebensunterhalt, p.unterkunft))
        .collect();
    assert_eq!(
        cents,
        vec![(123_456, 51_200), (5, -1_010)],
        "DECIMAL(12,2) to the cent"
    );
}

#[test]
fn a_codec_that_is_not_built_in_is_refused_with_what_to_do() {
    let e = parquet_as_csv("zstd.parquet", data("zstd.parquet"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "zstd.parquet, Zeile 1, Spalte „person“: Die Spalte ist mit ZSTD(ZstdLevel(1)) komprimiert; Zielwerk liest Parquet unkomprimiert oder mit Snappy (z. B. DuckDB: COPY … TO 'datei.parquet' (FORMAT parquet, COMPRESSION snappy))"
    );
}
