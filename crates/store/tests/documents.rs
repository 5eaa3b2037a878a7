//! Rows written by the previous schema stay readable. The database is brought to the schema
//! before the current one (every migration but the newest), rows are written as the code of that
//! version wrote them (JSON documents without a version, in the shape the domain structs had), and
//! then the current store opens it, migrates it and reads them.

use std::borrow::Cow;

use zielwerk_domain::vorlage::{DecisionKind, Impact};
use zielwerk_domain::{MeetingKind, PartyRole, Status};
use zielwerk_store::{AgendaKind, Store};

/// A meeting header as the store wrote it before documents were versioned.
const OLD_MEETING: &str = r#"{"kind":"free","title":"Sondersitzung KdU","date":"2022-10-12","month":"2022-09","place":"Kreishaus Mettmann","participants":[{"party":"kreis","name":"Frau A, Sozialamt"},{"party":"jobcenter","name":"Herr B"}]}"#;

/// A Vorlage header likewise.
const OLD_VORLAGE: &str = r#"{"number":"50/003/2022","public":true,"fachbereich":"Soziales","bearbeiter":"Frau A","date":"2022-10-01","aktenzeichen":"50.1","title":"Sachstandsbericht des Sozialamtes","consultations":[{"committee":"Sozialausschuss","date":"2022-11-08","decision":"kenntnisnahme"}],"impacts":{"financial":"nein","personnel":"nein","organisational":"noch_nicht_absehbar","key_figures":"ja","climate":"nein"},"resolution":"Der Ausschuss nimmt den Bericht zur Kenntnis.","occasion":"Anlass","area_notes":{"kdu":"Die Kosten steigen."},"as_of":"2022-09"}"#;

/// A goal snapshot of an agenda item likewise.
const OLD_SNAPSHOT: &str = r#"{"as_of":"2022-09","status":"at-risk","reason":"Ist September 2022: 22,0 %.","value_month":"2022-09","actual":22.0,"target":22.4,"tolerance":0.8,"actual_text":"22,0 %","target_text":"22,4 %","forecast_text":"","datenstand":"31.10.2022","source":"BA"}"#;

#[tokio::test]
async fn rows_of_the_previous_schema_are_read_by_the_current_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alt.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut previous = sqlx::migrate!("./migrations");
    let newest = previous.migrations.iter().map(|m| m.version).max().unwrap();
    previous.migrations = Cow::Owned(
        previous
            .migrations
            .iter()
            .filter(|m| m.version < newest)
            .cloned()
            .collect(),
    );
    previous.run(&pool).await.unwrap();
    let ts = "2022-10-01T08:00:00.000000Z";
    for (sql, binds) in [
        (
            "INSERT INTO jobcenter (ba_id, name, ags, vergleichstyp) VALUES ($1, $2, $3, NULL)",
            vec!["t36402", "jobcenter ME-aktiv", "05158"],
        ),
        (
            "INSERT INTO meeting (id, agreement_id, jobcenter_id, header, meeting_date, month, revision, created_at, updated_at)
             VALUES ('m1', 't36402-2022-v1', 't36402', $1, '2022-10-12', '2022-09', 1, $2, $2)",
            vec![OLD_MEETING, ts],
        ),
        (
            "INSERT INTO agenda_item (id, meeting_id, position, kind, title, goal_key, action_id, snapshot, appraisal, steering_needed, revision, appraised_at)
             VALUES ('i1', 'm1', 1, 'goal', 'Integrationen', 'k2', NULL, $1, '', 0, 1, NULL)",
            vec![OLD_SNAPSHOT],
        ),
        (
            "INSERT INTO vorlage (id, agreement_id, jobcenter_id, number, header, revision, created_at, updated_at, published_at)
             VALUES ('v1', 't36402-2022-v1', 't36402', '50/003/2022', $1, 1, $2, $2, NULL)",
            vec![OLD_VORLAGE, ts],
        ),
    ] {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(b);
        }
        q.execute(&pool).await.unwrap();
    }
    pool.close().await;

    // The current store migrates the database and reads what the previous one wrote.
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    let m = store.meeting("m1").await.unwrap().unwrap();
    assert_eq!(m.header.kind, MeetingKind::Free);
    assert_eq!(m.header.title, "Sondersitzung KdU");
    assert_eq!(m.header.month.to_string(), "2022-09");
    assert_eq!(m.header.participants.len(), 2);
    assert_eq!(m.header.participants[1].party, PartyRole::Jobcenter);
    assert_eq!(m.agreement.to_string(), "t36402-2022-v1");
    let agenda = store.agenda("m1").await.unwrap();
    let AgendaKind::Goal { snapshot, .. } = &agenda[0].kind else {
        panic!("a goal item")
    };
    assert_eq!(snapshot.status, Status::AtRisk);
    assert_eq!(snapshot.actual, Some(22.0));
    assert_eq!(snapshot.datenstand, "31.10.2022");
    let v = store.vorlage("v1").await.unwrap().unwrap();
    assert_eq!(v.header.number, "50/003/2022");
    assert_eq!(
        v.header.consultations[0].decision,
        DecisionKind::Kenntnisnahme
    );
    assert_eq!(v.header.impacts.organisational, Impact::NochNichtAbsehbar);
    assert_eq!(v.header.area_notes["kdu"], "Die Kosten steigen.");
    assert_eq!(v.header.as_of.unwrap().to_string(), "2022-09");

    // Written again, a document carries its version and reads back the same.
    let mut header = m.header.clone();
    header.place = "Rathaus".into();
    store
        .update_meeting("m1", &header, m.revision)
        .await
        .unwrap();
    let again = store.meeting("m1").await.unwrap().unwrap();
    assert_eq!(again.header, header);
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let raw: (String,) = sqlx::query_as("SELECT header FROM meeting WHERE id = 'm1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&raw.0).unwrap();
    assert_eq!(json["v"], 1, "{}", raw.0);
    assert_eq!(json["place"], "Rathaus");
}
