//! The store's behaviour as one story of scenarios, run against both backends: a real SQLite
//! file and a throwaway PostgreSQL cluster (Debian's binaries, started by the test). Whole-agreement
//! round trips, signed agreements, revisions, idempotence and transactions.

use std::future::Future;
use std::pin::Pin;

use chrono::NaiveDate;
use proptest::prelude::*;
use zielwerk_domain::{AgreementStatus, Observation, Source, SourceKind, ValueStatus};
use zielwerk_store::{Backend, RecordOutcome, SaveOutcome, Store, StoreError};

type Scenario = fn(Store) -> Pin<Box<dyn Future<Output = ()>>>;

macro_rules! story {
    ($($name:ident),* $(,)?) => {
        const STORY: &[(&str, Scenario)] = &[$((stringify!($name), |s| Box::pin($name(s)))),*];
    };
}

story!(
    agreement_round_trips_through_the_database,
    a_signed_agreement_is_never_overwritten_but_a_draft_is,
    recording_is_idempotent_and_revisions_keep_history,
    a_failing_batch_leaves_nothing_behind,
    the_whole_demo_loads_and_reloads_without_change,
    a_vorlage_is_edited_with_locking_and_frozen_when_published,
    a_meeting_keeps_agenda_appraisals_actions_and_comments,
    accounts_goal_edits_signatures_and_the_audit_trail,
    concurrent_recordings_all_commit_and_keep_the_chain,
    shared_state_serves_every_process,
    extreme_numbers_read_back_for_comparison,
);

#[tokio::test]
async fn story_on_sqlite() {
    for (name, scenario) in STORY {
        eprintln!("SQLite: {name}");
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("test.db").to_str().unwrap())
            .await
            .unwrap();
        assert_eq!(store.backend(), Backend::Sqlite);
        scenario(store.clone()).await;
        store.close().await;
    }
}

#[tokio::test]
async fn story_on_postgres() {
    let cluster = zielwerk_testkit::PgCluster::start();
    for (i, (name, scenario)) in STORY.iter().enumerate() {
        eprintln!("PostgreSQL: {name}");
        let url = cluster.create_database(&format!("story_{i}"));
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.backend(), Backend::Postgres);
        scenario(store.clone()).await;
        store.close().await;
    }
}

fn source(label: &str) -> Source {
    Source {
        kind: SourceKind::File,
        label: label.into(),
        detail: String::new(),
        file_name: Some(format!("{label}.csv")),
        sha256: None,
    }
}

fn obs(month: &str, value: f64, status: ValueStatus, datenstand: &str) -> Observation {
    Observation {
        region: "t36402".parse().unwrap(),
        period: zielwerk_domain::PeriodKind::Month,
        indicator: "BG".parse().unwrap(),
        month: month.parse().unwrap(),
        value: Some(value),
        numerator: None,
        denominator: None,
        status,
        datenstand: datenstand.parse::<NaiveDate>().unwrap(),
        breakdown: None,
    }
}

/// Sixteen imports at once (the web server's pool has eight connections) all commit: on SQLite
/// a transaction that read first and then wrote used to fail at once with "database is locked"
/// when another had written meanwhile (issue 14, item 8). The audit chain stays whole.
async fn concurrent_recordings_all_commit_and_keep_the_chain(store: Store) {
    store
        .save_agreement(&zielwerk_demo::mettmann_agreement().unwrap())
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.acting_as(&format!("import {i}"));
            tokio::spawn(async move {
                let batch: Vec<_> = (1..=12)
                    .map(|m| {
                        obs(
                            &format!("2021-{m:02}"),
                            1_000.0 + f64::from(i * 100 + m),
                            ValueStatus::Final,
                            "2022-05-01",
                        )
                    })
                    .collect();
                store
                    .record_observations(&source(&format!("s{i}")), &batch)
                    .await
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let outcome = t.await.unwrap();
        assert!(outcome.is_ok(), "import {i}: {outcome:?}");
    }
    let check = store.verify_audit().await.unwrap();
    assert!(check.broken.is_none(), "{check:?}");
}

/// What the server processes on one database share: one secret, one count of failed sign-ins,
/// one queue of previews (per session, bounded). Two handles stand for two processes.
async fn shared_state_serves_every_process(store: Store) {
    use zielwerk_store::{Failures, PendingUpload};
    let other = store.clone();
    let first = store.server_secret("erstes").await.unwrap();
    assert_eq!(first, "erstes");
    assert_eq!(other.server_secret("zweites").await.unwrap(), "erstes");

    let now = 1_800_000_000_000;
    assert_eq!(store.sign_in_failures("konto:kreis").await.unwrap(), None);
    store
        .add_sign_in_failure(&["konto:kreis", "adresse:x"], now)
        .await
        .unwrap();
    other
        .add_sign_in_failure(&["konto:kreis"], now + 5)
        .await
        .unwrap();
    assert_eq!(
        store.sign_in_failures("konto:kreis").await.unwrap(),
        Some(Failures {
            count: 2,
            last_ms: now + 5
        })
    );
    other.clear_sign_in_failures("konto:kreis").await.unwrap();
    assert_eq!(store.sign_in_failures("konto:kreis").await.unwrap(), None);
    assert_eq!(
        store
            .sign_in_failures("adresse:x")
            .await
            .unwrap()
            .unwrap()
            .count,
        1
    );
    store
        .add_sign_in_failure(&["neu"], now + 86_400_001)
        .await
        .unwrap();
    assert_eq!(
        store.sign_in_failures("adresse:x").await.unwrap(),
        None,
        "a day's quiet forgets"
    );

    let id = store.add_user("imp", "Imp", "x", &[]).await.unwrap();
    for s in ["mettmann", "regensburg"] {
        store
            .create_session(s, &id, "c", "2999-01-01T00:00:00Z")
            .await
            .unwrap();
    }
    let upload = |n: usize| PendingUpload {
        file_name: format!("{n}.csv"),
        mapping: String::new(),
        content: vec![b'x'; 10],
    };
    store
        .put_pending_upload("mettmann", "a", &upload(0), 4, 1_000)
        .await
        .unwrap();
    for i in 0..10 {
        store
            .put_pending_upload("regensburg", &format!("r{i}"), &upload(i), 4, 1_000)
            .await
            .unwrap();
    }
    assert!(
        store
            .take_pending_upload("regensburg", "a")
            .await
            .unwrap()
            .is_none(),
        "a token is its session's alone"
    );
    assert_eq!(
        other.take_pending_upload("mettmann", "a").await.unwrap(),
        Some(upload(0)),
        "Mettmann's preview is still there, for the other process too"
    );
    assert!(
        store
            .take_pending_upload("mettmann", "a")
            .await
            .unwrap()
            .is_none(),
        "confirmed once"
    );
    assert_eq!(
        other.take_pending_upload("regensburg", "r9").await.unwrap(),
        Some(upload(9))
    );
    assert!(
        other
            .take_pending_upload("regensburg", "r0")
            .await
            .unwrap()
            .is_none(),
        "a session keeps its newest few"
    );
    store
        .put_pending_upload("mettmann", "b", &upload(1), 4, 25)
        .await
        .unwrap();
    assert!(
        other
            .take_pending_upload("regensburg", "r6")
            .await
            .unwrap()
            .is_none(),
        "all together are bounded in bytes: the oldest go"
    );
    assert!(
        other
            .take_pending_upload("regensburg", "r8")
            .await
            .unwrap()
            .is_some()
    );
    store.end_session("mettmann").await.unwrap();
    assert!(
        store
            .take_pending_upload("mettmann", "b")
            .await
            .unwrap()
            .is_none(),
        "a session's previews end with it"
    );
}

async fn agreement_round_trips_through_the_database(store: Store) {
    for a in [
        zielwerk_demo::mettmann_agreement().unwrap(),
        zielwerk_demo::regensburg_agreement().unwrap(),
    ] {
        assert_eq!(
            store.save_agreement(&a).await.unwrap(),
            SaveOutcome::Created
        );
        let loaded = store.agreement(&a.key()).await.unwrap().unwrap();
        assert_eq!(loaded, a);
        assert_eq!(
            store.save_agreement(&a).await.unwrap(),
            SaveOutcome::Unchanged
        );
    }
    let list = store.agreements().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].key.to_string(),
        "t73906-2026-v1",
        "newest year first"
    );
    assert_eq!(list[1].goals, 17);
}

async fn a_signed_agreement_is_never_overwritten_but_a_draft_is(store: Store) {
    let signed = zielwerk_demo::mettmann_agreement().unwrap();
    assert_eq!(signed.status, AgreementStatus::Signed);
    store.save_agreement(&signed).await.unwrap();
    let mut changed = signed.clone();
    changed.goals[0].title = "Geändert".into();
    let err = store.save_agreement(&changed).await.unwrap_err();
    assert!(matches!(err, StoreError::SignedAgreement(_)));
    assert_eq!(
        err.to_string(),
        "Die Vereinbarung t36402-2022-v1 ist unterzeichnet und kann nicht überschrieben werden; legen Sie eine neue Version an"
    );
    assert_eq!(
        store.agreement(&signed.key()).await.unwrap().unwrap(),
        signed
    );

    let draft = zielwerk_demo::regensburg_agreement().unwrap();
    store.save_agreement(&draft).await.unwrap();
    let mut changed = draft.clone();
    changed.goals[1].title = "Neuer Titel".into();
    assert_eq!(
        store.save_agreement(&changed).await.unwrap(),
        SaveOutcome::Replaced
    );
    assert_eq!(
        store.agreement(&draft.key()).await.unwrap().unwrap(),
        changed
    );
}

async fn recording_is_idempotent_and_revisions_keep_history(store: Store) {
    store
        .save_agreement(&zielwerk_demo::mettmann_agreement().unwrap())
        .await
        .unwrap();
    let first = vec![
        obs("2022-01", 18_000.5, ValueStatus::Projected, "2022-02-15"),
        obs("2022-02", 17_990.5, ValueStatus::Projected, "2022-03-15"),
    ];
    let v0 = store.data_version().await.unwrap();
    let o = store
        .record_observations(&source("a"), &first)
        .await
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            inserted: 2,
            ..Default::default()
        }
    );
    let v1 = store.data_version().await.unwrap();
    assert!(v1 > v0, "a write moves the data version");
    // The same batch again changes nothing, not even the data version.
    let o = store
        .record_observations(&source("a"), &first)
        .await
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            unchanged: 2,
            ..Default::default()
        }
    );
    assert_eq!(store.observation_count().await.unwrap(), 2);
    assert_eq!(store.data_version().await.unwrap(), v1);

    // A counted value with a newer Datenstand supersedes the projection; an older one does not.
    let later = vec![
        obs("2022-01", 18_004.0, ValueStatus::Final, "2022-05-15"),
        obs("2022-02", 17_000.0, ValueStatus::Final, "2022-01-01"),
    ];
    let o = store
        .record_observations(&source("b"), &later)
        .await
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            revised: 1,
            older: 1,
            ..Default::default()
        }
    );
    assert_eq!(
        store.observation_count().await.unwrap(),
        4,
        "history is kept"
    );
    let current = store
        .current_values(&"t36402".parse().unwrap(), &[&"BG".parse().unwrap()])
        .await
        .unwrap();
    let values: Vec<_> = current
        .iter()
        .map(|c| {
            (
                c.observation.month.to_string(),
                c.observation.value,
                c.observation.status,
                c.source_label.as_str(),
            )
        })
        .collect();
    assert_eq!(
        values,
        vec![
            ("2022-01".into(), Some(18_004.0), ValueStatus::Final, "b"),
            (
                "2022-02".into(),
                Some(17_990.5),
                ValueStatus::Projected,
                "a"
            ),
        ]
    );
}

async fn a_failing_batch_leaves_nothing_behind(store: Store) {
    store
        .save_agreement(&zielwerk_demo::mettmann_agreement().unwrap())
        .await
        .unwrap();
    let mut batch = vec![obs("2022-01", 1.0, ValueStatus::Final, "2022-02-01")];
    // The second value belongs to a Jobcenter the store does not know: the whole batch fails.
    let mut stranger = obs("2022-02", 2.0, ValueStatus::Final, "2022-03-01");
    stranger.region = "t99999".parse().unwrap();
    batch.push(stranger);
    let err = store
        .record_observations(&source("x"), &batch)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Das Jobcenter t99999 ist nicht bekannt; importieren Sie zuerst seine Vereinbarung"
    );
    assert_eq!(store.observation_count().await.unwrap(), 0);
    // Infinity never reaches the database (a backup could not hold it).
    let batch = vec![
        obs("2022-01", 1.0, ValueStatus::Final, "2022-02-01"),
        obs("2022-02", f64::INFINITY, ValueStatus::Final, "2022-03-01"),
    ];
    let err = store
        .record_observations(&source("x"), &batch)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Der Wert für BG Februar 2022 (t36402) ist keine endliche Zahl"),
        "{err}"
    );
    assert_eq!(store.observation_count().await.unwrap(), 0);
}

async fn the_whole_demo_loads_and_reloads_without_change(store: Store) {
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    for a in &demo.agreements {
        store.save_agreement(a).await.unwrap();
    }
    let mut total = 0;
    for b in &demo.batches {
        total += b.observations.len();
        let o = store
            .record_observations(&b.source, &b.observations)
            .await
            .unwrap();
        assert_eq!(o.inserted as usize, b.observations.len());
    }
    for b in &demo.batches {
        let o = store
            .record_observations(&b.source, &b.observations)
            .await
            .unwrap();
        assert_eq!(o.unchanged as usize, b.observations.len());
    }
    assert_eq!(store.observation_count().await.unwrap() as usize, total);
}

async fn a_vorlage_is_edited_with_locking_and_frozen_when_published(store: Store) {
    use zielwerk_store::{FileRole, NewFile};
    let a = zielwerk_demo::mettmann_agreement().unwrap();
    store.save_agreement(&a).await.unwrap();
    let mut header =
        zielwerk_domain::VorlageHeader::draft(&a, NaiveDate::from_ymd_opt(2022, 1, 13).unwrap());
    header.number = "50/003/2022".into();
    let id = store.create_vorlage(&a.key(), &header).await.unwrap();
    let v = store.vorlage(&id).await.unwrap().unwrap();
    assert_eq!(
        (v.header.clone(), v.revision, v.published_at),
        (header.clone(), 1, None)
    );

    // Two users start from revision 1; the first saves, the second gets a conflict.
    header.bearbeiter = "Martin Klemmer".into();
    assert_eq!(store.update_vorlage(&id, &header, 1).await.unwrap(), 2);
    let mut other = header.clone();
    other.bearbeiter = "Jemand anderes".into();
    let err = store.update_vorlage(&id, &other, 1).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("inzwischen von jemand anderem geändert")
    );
    assert_eq!(
        store.vorlage(&id).await.unwrap().unwrap().header.bearbeiter,
        "Martin Klemmer"
    );

    // Publishing freezes header and files; the bytes come back unchanged.
    let pdf = b"%PDF-1.7 \x00\xff binary".to_vec();
    let files = [
        NewFile {
            name: "vorlage.pdf".into(),
            role: FileRole::Main,
            title: "Vorlage".into(),
            mime_type: "application/pdf".into(),
            content: pdf.clone(),
        },
        NewFile {
            name: "vorlage.docx".into(),
            role: FileRole::Derivative,
            title: "Vorlage (Word)".into(),
            mime_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                .into(),
            content: vec![1, 2, 3],
        },
    ];
    store.publish_vorlage(&id, 2, &files).await.unwrap();
    let (meta, bytes) = store
        .vorlage_file(&id, "vorlage.pdf")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bytes, pdf);
    assert_eq!(meta.size, pdf.len() as i64);
    assert_eq!(meta.sha512.len(), 128);
    let listed = store.vorlage_files(&id).await.unwrap();
    assert_eq!(
        listed.iter().map(|f| f.role).collect::<Vec<_>>(),
        [FileRole::Main, FileRole::Derivative]
    );
    assert_eq!(store.published_vorlagen().await.unwrap().len(), 1);
    let err = store.update_vorlage(&id, &header, 2).await.unwrap_err();
    assert!(matches!(err, StoreError::Published(_)), "{err:?}");
    assert!(
        store.publish_vorlage(&id, 2, &files).await.is_err(),
        "published once"
    );
    assert_eq!(store.vorlagen(&a.key()).await.unwrap().len(), 1);
}

async fn a_meeting_keeps_agenda_appraisals_actions_and_comments(store: Store) {
    use zielwerk_domain::{
        ActionItem, ActionStatus, GoalSnapshot, MeetingHeader, MeetingKind, Participant, PartyRole,
        Status, ValueComment,
    };
    use zielwerk_store::{ActionFilter, AgendaKind, NewAgendaItem};
    let a = zielwerk_demo::mettmann_agreement().unwrap();
    store.save_agreement(&a).await.unwrap();
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    let header = MeetingHeader {
        kind: MeetingKind::Zielnachhaltedialog,
        title: String::new(),
        date: day("2022-10-12"),
        month: "2022-09".parse().unwrap(),
        place: "Kreishaus Mettmann".into(),
        participants: vec![Participant {
            party: PartyRole::Kreis,
            name: "Frau Beispiel".into(),
        }],
    };
    let goal = a.goals[0].key.clone();
    let snapshot = GoalSnapshot {
        as_of: header.month,
        status: Status::Missed,
        reason: "Ist liegt um mehr als die Toleranz unter dem Ziel.".into(),
        value_month: Some(header.month),
        actual: Some(1234.5),
        target: Some(1300.0),
        tolerance: Some(13.0),
        actual_text: "1.234,5".into(),
        target_text: "1.300".into(),
        forecast_text: String::new(),
        datenstand: "15.10.2022".into(),
        source: "Demo".into(),
    };
    let agenda = [
        NewAgendaItem {
            title: a.goals[0].title.clone(),
            kind: AgendaKind::Goal {
                goal: goal.clone(),
                snapshot: Box::new(snapshot.clone()),
            },
        },
        NewAgendaItem {
            title: "Verschiedenes".into(),
            kind: AgendaKind::Free,
        },
    ];
    let mid = store
        .create_meeting(&a.key(), &header, &agenda)
        .await
        .unwrap();
    let m = store.meeting(&mid).await.unwrap().unwrap();
    assert_eq!((m.header.clone(), m.revision), (header.clone(), 1));
    assert_eq!(store.meetings(&a.key()).await.unwrap().len(), 1);
    assert_eq!(store.agenda_sizes(&a.key()).await.unwrap()[&mid], 2);

    // Agenda order, an added item, moving; the ends do not move.
    let extra = store
        .add_agenda_item(
            &mid,
            &NewAgendaItem {
                title: "Bericht der Geschäftsführung".into(),
                kind: AgendaKind::Free,
            },
        )
        .await
        .unwrap();
    assert!(store.move_agenda_item(&mid, &extra, true).await.unwrap());
    let titles = |items: Vec<zielwerk_store::StoredAgendaItem>| {
        items.into_iter().map(|i| i.title).collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.agenda(&mid).await.unwrap()),
        [
            a.goals[0].title.as_str(),
            "Bericht der Geschäftsführung",
            "Verschiedenes"
        ]
    );
    let first = store.agenda(&mid).await.unwrap()[0].clone();
    assert!(!store.move_agenda_item(&mid, &first.id, true).await.unwrap());
    assert!(matches!(
        store.move_agenda_item("andere", &first.id, false).await,
        Err(StoreError::NotFound(_))
    ));

    // The appraisal is guarded and leaves the frozen figures alone.
    assert_eq!(
        store
            .appraise(&first.id, "Steuerungsbedarf", true, 1)
            .await
            .unwrap(),
        2
    );
    let err = store
        .appraise(&first.id, "älter", false, 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let item = store.agenda(&mid).await.unwrap()[0].clone();
    assert_eq!(
        (item.appraisal.as_str(), item.steering_needed),
        ("Steuerungsbedarf", true)
    );
    assert_eq!(
        item.kind,
        AgendaKind::Goal {
            goal: goal.clone(),
            snapshot: Box::new(snapshot)
        }
    );

    // A decision with an action item; status changes are recorded with their meeting.
    let action = ActionItem {
        what: "Fallkonferenzen für Langzeitleistungsbeziehende".into(),
        owner_party: PartyRole::Jobcenter,
        owner_person: "Herr Muster".into(),
        due: day("2022-11-30"),
        status: ActionStatus::Open,
        goal: Some(goal.clone()),
        measure: None,
    };
    let (_, aid) = store
        .add_decision(
            &mid,
            Some(&first.id),
            "Das Jobcenter legt ein Konzept vor.",
            Some(&action),
        )
        .await
        .unwrap();
    let aid = aid.unwrap();
    assert_eq!(store.decisions(&mid).await.unwrap().len(), 1);
    let stored = store.action(&aid).await.unwrap().unwrap();
    assert_eq!((stored.item.clone(), stored.revision), (action.clone(), 1));
    let second = store
        .create_meeting(
            &a.key(),
            &MeetingHeader {
                date: day("2022-12-14"),
                ..header
            },
            &[],
        )
        .await
        .unwrap();
    store
        .set_action_status(
            &aid,
            ActionStatus::Done,
            "Konzept liegt vor",
            Some(&second),
            1,
        )
        .await
        .unwrap();
    let err = store
        .set_action_status(&aid, ActionStatus::Dropped, "", None, 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let updates = store.action_updates(&aid).await.unwrap();
    assert_eq!(
        updates.iter().map(|u| u.status).collect::<Vec<_>>(),
        [ActionStatus::Open, ActionStatus::Done]
    );
    assert_eq!(store.updates_in_meeting(&second).await.unwrap().len(), 1);
    let jc = a.jobcenter.ba_id.clone();
    let open = ActionFilter {
        statuses: vec![ActionStatus::Open, ActionStatus::InProgress],
        ..Default::default()
    };
    assert!(store.actions(&jc, &open).await.unwrap().is_empty());
    let done = ActionFilter {
        statuses: vec![ActionStatus::Done],
        party: Some(PartyRole::Jobcenter),
        goal: Some(goal),
        agreement: Some(a.key()),
        meeting: Some(mid.clone()),
    };
    assert_eq!(store.actions(&jc, &done).await.unwrap().len(), 1);
    let other_party = ActionFilter {
        party: Some(PartyRole::Kreis),
        ..Default::default()
    };
    assert!(store.actions(&jc, &other_party).await.unwrap().is_empty());

    // Comments belong to a value of the Jobcenter.
    let comment = ValueComment {
        indicator: a.goals[0].indicator.clone(),
        month: "2022-05".parse().unwrap(),
        text: "Sondereffekt Umzug der Leistungsabteilung".into(),
        author: "Controlling".into(),
    };
    store.add_comment(&jc, &comment).await.unwrap();
    let found = store.comments(&jc, &[&a.goals[0].indicator]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].comment, comment);
    assert!(
        store
            .comments(&jc, &[&"BG".parse().unwrap()])
            .await
            .unwrap()
            .iter()
            .all(|c| c.comment.indicator.as_str() == "BG")
    );
}

/// Fills `store` with every kind of data: the demo values, a published Vorlage with binary files,
/// a meeting with agenda, appraisal, decision, action item and comment.
async fn filled(store: Store) -> Store {
    let demo = zielwerk_demo::build(zielwerk_demo::DEFAULT_SEED).unwrap();
    for a in &demo.agreements {
        store.save_agreement(a).await.unwrap();
    }
    for b in &demo.batches {
        store
            .record_observations(&b.source, &b.observations)
            .await
            .unwrap();
    }
    a_vorlage_is_edited_with_locking_and_frozen_when_published(store.clone()).await;
    a_meeting_keeps_agenda_appraisals_actions_and_comments(store.clone()).await;
    store
}

fn backup_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

/// The table lines of a backup: everything but the header, the data version and the trailer.
fn tables_of(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[1..lines.len() - 2].to_vec()
}

async fn backup_round_trip(from: Store, to: Store, spare: Store) {
    let mut names = from.table_names().await.unwrap();
    names.retain(|n| n != "data_version" && !zielwerk_store::NOT_BACKED_UP.contains(&n.as_str()));
    let mut listed: Vec<String> = zielwerk_store::TABLES
        .iter()
        .map(|t| t.to_string())
        .collect();
    listed.sort();
    assert_eq!(
        names, listed,
        "TABLES lists every table the migrations create"
    );

    let from = filled(from).await;
    let mut out = Vec::new();
    let summary = from.backup(&mut out).await.unwrap();
    let text = backup_text(out);
    assert_eq!(summary.tables, zielwerk_store::TABLES.len());
    assert!(summary.rows > 1000, "{summary:?}");

    let restored = to.restore(&text).await.unwrap();
    assert_eq!(
        (restored.tables, restored.rows),
        (summary.tables, summary.rows)
    );
    let mut again = Vec::new();
    to.backup(&mut again).await.unwrap();
    let again = backup_text(again);
    assert_eq!(
        tables_of(&again),
        tables_of(&text),
        "every row comes back unchanged"
    );
    assert!(to.data_version().await.unwrap() > from.data_version().await.unwrap());
    let a = zielwerk_demo::mettmann_agreement().unwrap();
    assert_eq!(to.agreement(&a.key()).await.unwrap().unwrap(), a);
    let published = to.published_vorlagen().await.unwrap();
    assert_eq!(published.len(), 1);
    let files = to.vorlage_files(&published[0].id).await.unwrap();
    let (_, content) = to
        .vorlage_file(&published[0].id, &files[0].name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        content,
        b"%PDF-1.7 \x00\xff binary".to_vec(),
        "bytes survive"
    );

    // A second restore into the now filled database is refused.
    let err = to.restore(&text).await.unwrap_err();
    assert!(err.to_string().contains("enthält schon Daten"), "{err}");
    // A changed file is refused before anything is written.
    let tampered = text.replacen("Herr Muster", "Frau Muster", 1);
    assert_ne!(tampered, text);
    let err = spare.restore(&tampered).await.unwrap_err();
    assert!(err.to_string().contains("Prüfsumme stimmt nicht"), "{err}");
    let truncated: String = text.lines().take(50).map(|l| format!("{l}\n")).collect();
    assert!(spare.restore(&truncated).await.is_err());
    assert!(
        spare.agreements().await.unwrap().is_empty(),
        "nothing half-written"
    );
}

#[tokio::test]
async fn backup_round_trips_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str| {
        let path = dir.path().join(name);
        async move { Store::open(path.to_str().unwrap()).await.unwrap() }
    };
    backup_round_trip(open("a.db").await, open("b.db").await, open("c.db").await).await;
}

#[tokio::test]
async fn backup_round_trips_on_postgres_and_moves_sqlite_to_postgres() {
    let cluster = zielwerk_testkit::PgCluster::start();
    let open = |name: &str| {
        let url = cluster.create_database(name);
        async move { Store::open(&url).await.unwrap() }
    };
    backup_round_trip(open("a").await, open("b").await, open("c").await).await;

    // An SQLite installation moves to PostgreSQL through a backup.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = filled(
        Store::open(dir.path().join("s.db").to_str().unwrap())
            .await
            .unwrap(),
    )
    .await;
    let mut out = Vec::new();
    sqlite.backup(&mut out).await.unwrap();
    let text = backup_text(out);
    let pg = open("moved").await;
    pg.restore(&text).await.unwrap();
    let mut again = Vec::new();
    pg.backup(&mut again).await.unwrap();
    let again = backup_text(again);
    assert_eq!(tables_of(&again).len(), tables_of(&text).len());
    let a = zielwerk_demo::mettmann_agreement().unwrap();
    assert_eq!(pg.agreement(&a.key()).await.unwrap().unwrap(), a);
    assert_eq!(
        pg.current_values(&a.jobcenter.ba_id, &a.stored_indicator_codes())
            .await
            .unwrap()
            .len(),
        sqlite
            .current_values(&a.jobcenter.ba_id, &a.stored_indicator_codes())
            .await
            .unwrap()
            .len()
    );
}

async fn accounts_goal_edits_signatures_and_the_audit_trail(store: Store) {
    use zielwerk_domain::{Grant, PartyRole, Role, Target};

    // Accounts with grants; a grant named twice is held once (a form may repeat a checkbox);
    // a second account with the same login is refused.
    let grants = [Grant {
        scope: "t73906".parse().unwrap(),
        role: Role::Kreis,
    }];
    let admin = store.acting_as("kommandozeile");
    let twice = [grants[0].clone(), grants[0].clone()];
    let id = admin
        .add_user("kreis", "Karla Kreis", "$argon2id$fake", &twice)
        .await
        .unwrap();
    assert!(matches!(
        admin.add_user("kreis", "Doppelt", "x", &[]).await,
        Err(StoreError::Exists(_))
    ));
    let user = store.user_by_login("kreis").await.unwrap().unwrap();
    assert_eq!(
        (user.id.as_str(), user.grants.as_slice()),
        (id.as_str(), &grants[..])
    );

    // Sessions: found while valid, gone after logout or expiry; a password change ends the
    // other sessions.
    store
        .create_session("h1", &id, "c1", "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    store
        .create_session("h2", &id, "c2", "2999-01-01T00:00:00Z")
        .await
        .unwrap();
    store
        .create_session("old", &id, "c3", "2000-01-01T00:00:00Z")
        .await
        .unwrap();
    let now = "2026-11-24T12:00:00Z";
    assert_eq!(store.session("h1", now).await.unwrap().unwrap().csrf, "c1");
    assert!(
        store.session("old", now).await.unwrap().is_none(),
        "expired"
    );
    store
        .acting_as("kreis")
        .set_password(&id, "$argon2id$new", Some("h1"))
        .await
        .unwrap();
    assert!(store.session("h1", now).await.unwrap().is_some());
    assert!(store.session("h2", now).await.unwrap().is_none());
    store.end_session("h1").await.unwrap();
    assert!(store.session("h1", now).await.unwrap().is_none());

    // A goal edit is guarded by its revision: the second of two edits from the same revision
    // gets a conflict and the first one's text stays.
    let draft = zielwerk_demo::regensburg_agreement().unwrap();
    let key = draft.key();
    store.save_agreement(&draft).await.unwrap();
    let goal = draft.goals[0].clone();
    let rev = store
        .goal_revision(&key, goal.key.as_str())
        .await
        .unwrap()
        .unwrap();
    let mut first = goal.clone();
    first.title = "Erste Fassung".into();
    first.target = Target::Annual { value: 4321.0 };
    let mut second = goal.clone();
    second.title = "Zweite Fassung".into();
    let karla = store.acting_as("kreis (Karla Kreis)");
    assert_eq!(karla.update_goal(&key, &first, rev).await.unwrap(), rev + 1);
    let err = store
        .acting_as("agentur")
        .update_goal(&key, &second, rev)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(
        err.to_string().contains("von jemand anderem geändert"),
        "{err}"
    );
    let now_goal = &store.agreement(&key).await.unwrap().unwrap().goals[0];
    assert_eq!(now_goal, &first);

    // Signing: each party once, for the content it saw; all three freeze the version.
    let on = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
    let seen = store.agreement(&key).await.unwrap().unwrap();
    let digest = zielwerk_store::content_digest(&seen);
    let stamp = store.agreement_stamp(&key).await.unwrap().unwrap();
    let sign = |role: PartyRole, stamp: String, digest: String| {
        let s = store.acting_as(role.as_str());
        let key = key.clone();
        async move { s.sign(&key, role, "u", &stamp, &digest, on).await }
    };
    assert_eq!(
        sign(PartyRole::Kreis, stamp.clone(), digest.clone())
            .await
            .unwrap(),
        AgreementStatus::Negotiating
    );
    assert!(matches!(
        sign(PartyRole::Kreis, stamp.clone(), digest.clone()).await,
        Err(StoreError::Exists(_))
    ));
    assert!(
        matches!(
            sign(PartyRole::Agentur, stamp.clone(), "0".repeat(64)).await,
            Err(StoreError::Conflict { .. })
        ),
        "a signature for other content is refused"
    );
    // An edit in between voids the Kreis's signature.
    let mut third = first.clone();
    third.description = "Nachgeschärft".into();
    karla.update_goal(&key, &third, rev + 1).await.unwrap();
    assert!(store.signatures(&key).await.unwrap().is_empty());
    assert!(
        matches!(
            sign(PartyRole::Agentur, stamp.clone(), digest.clone()).await,
            Err(StoreError::Conflict { .. })
        ),
        "the old page is stale"
    );
    let seen = store.agreement(&key).await.unwrap().unwrap();
    let (digest, stamp) = (
        zielwerk_store::content_digest(&seen),
        store.agreement_stamp(&key).await.unwrap().unwrap(),
    );
    for role in PartyRole::ALL {
        sign(role, stamp.clone(), digest.clone()).await.unwrap();
    }
    let signed = store.agreement(&key).await.unwrap().unwrap();
    assert_eq!(signed.status, AgreementStatus::Signed);
    assert!(signed.parties.iter().all(|p| p.signed_on == Some(on)));
    assert_eq!(store.signatures(&key).await.unwrap().len(), 3);
    assert!(
        matches!(
            karla.update_goal(&key, &first, rev + 2).await,
            Err(StoreError::SignedAgreement(_))
        ),
        "frozen"
    );

    // A Nachtrag is a new draft version with the same content, signed again.
    let v2 = karla.open_nachtrag(&key).await.unwrap();
    assert_eq!(v2.version, 2);
    assert!(matches!(
        karla.open_nachtrag(&key).await,
        Err(StoreError::Exists(_))
    ));
    assert!(matches!(
        karla.open_nachtrag(&v2).await,
        Err(StoreError::NotSigned(_))
    ));
    assert_eq!(store.based_on(&v2).await.unwrap(), Some(key.clone()));
    let new = store.agreement(&v2).await.unwrap().unwrap();
    assert_eq!(new.status, AgreementStatus::Draft);
    assert_eq!(zielwerk_store::content_digest(&new).len(), 64);
    assert!(zielwerk_domain::nachtrag::differences(&signed, &new).is_empty());

    // Next year is prepared from the newest version of this year only, and once.
    assert!(
        matches!(karla.prepare_next_year(&key).await, Err(StoreError::Exists(m)) if m.contains("neuere Version 2")),
        "not from a replaced version"
    );
    let next = karla.prepare_next_year(&v2).await.unwrap();
    assert_eq!((next.year, next.version), (key.year + 1, 1));
    assert!(matches!(
        karla.prepare_next_year(&v2).await,
        Err(StoreError::Exists(_))
    ));
    assert_eq!(store.based_on(&next).await.unwrap(), Some(v2.clone()));
    let draft = store.agreement(&next).await.unwrap().unwrap();
    assert_eq!(draft, new.for_next_year());
    assert!(draft.parties.iter().all(|p| p.signed_on.is_none()));
    assert!(zielwerk_domain::nachtrag::changes_from_last_year(&new, &draft).is_empty());

    // Everything above is in the audit trail, chained, with who, before and after.
    let check = store.verify_audit().await.unwrap();
    assert_eq!(check.broken, None);
    let trail = store
        .audit_trail(&key, Some((goal.key.as_str(), goal.indicator.as_str())))
        .await
        .unwrap();
    let edits: Vec<_> = trail.iter().filter(|e| e.action == "goal.edit").collect();
    assert_eq!(edits.len(), 2, "the refused edit left no record");
    let last = edits[0];
    assert_eq!(last.actor, "kreis (Karla Kreis)");
    assert!(last.before.as_deref().unwrap().contains("Erste Fassung"));
    assert!(last.after.as_deref().unwrap().contains("Nachgeschärft"));
    let all = store.audit_trail(&key, None).await.unwrap();
    assert_eq!(
        all.iter().filter(|e| e.action == "agreement.sign").count(),
        4
    );
    let password = store.verify_audit().await.unwrap();
    assert!(password.events >= 10, "{password:?}");
}

/// A row of the trail changed, or removed, in the database itself is found by `verify_audit`.
async fn tampering_is_detected(store: Store, url: &str) {
    filled(store.clone()).await;
    let ok = store.verify_audit().await.unwrap();
    assert_eq!(ok.broken, None);
    assert!(ok.events > 20, "{ok:?}");
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query("UPDATE audit_event SET actor = 'jemand anderes' WHERE seq = 5")
        .execute(&raw)
        .await
        .unwrap();
    let check = store.verify_audit().await.unwrap();
    let (seq, reason) = check.broken.unwrap();
    assert_eq!(seq, 5);
    assert!(reason.contains("nachträglich verändert"), "{reason}");
    assert_eq!(check.events, 4);
    // Put back, then delete one: the gap is found.
    sqlx::query("UPDATE audit_event SET actor = 'System' WHERE seq = 5")
        .execute(&raw)
        .await
        .unwrap();
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
    sqlx::query("DELETE FROM audit_event WHERE seq = 7")
        .execute(&raw)
        .await
        .unwrap();
    let (seq, reason) = store.verify_audit().await.unwrap().broken.unwrap();
    assert_eq!(seq, 7);
    assert!(reason.contains("fehlt"), "{reason}");
    raw.close().await;
}

#[tokio::test]
async fn audit_tampering_is_detected_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    tampering_is_detected(store, &format!("sqlite://{}", path.display())).await;

    let cluster = zielwerk_testkit::PgCluster::start();
    let url = cluster.create_database("tamper");
    let store = Store::open(&url).await.unwrap();
    tampering_is_detected(store, &url).await;
}

// The current values an import compares with, read back as the store keeps them: a file
// imported again changes nothing, whatever its numbers, and every value changed in it is a
// revision. Series of 8 or more values in a chunk are read as ranges of months (on SQLite as
// text, one row per range), shorter ones key by key: both are covered.

/// `values` as months of BG from January 2005 on; a pair is a numerator and denominator (of
/// a breakdown, so that both shapes are stored).
fn observations(values: &[(f64, Option<f64>)]) -> Vec<Observation> {
    values
        .iter()
        .enumerate()
        .map(|(i, (v, denominator))| Observation {
            region: "t36402".parse().unwrap(),
            period: zielwerk_domain::PeriodKind::Month,
            indicator: "BG".parse().unwrap(),
            month: format!("{}-{:02}", 2005 + i / 12, i % 12 + 1)
                .parse()
                .unwrap(),
            value: denominator.is_none().then_some(*v),
            numerator: denominator.map(|_| *v),
            denominator: *denominator,
            status: ValueStatus::Final,
            datenstand: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            breakdown: None,
        })
        .collect()
}

/// Any finite number: every bit pattern that is one (subnormals, negative zero, the largest).
fn finite() -> impl Strategy<Value = f64> {
    any::<u64>()
        .prop_map(f64::from_bits)
        .prop_filter("finite", |v| v.is_finite())
}

async fn values_read_back(store: &Store, values: &[(f64, Option<f64>)]) {
    store
        .save_agreement(&zielwerk_demo::mettmann_agreement().unwrap())
        .await
        .unwrap();
    let n = values.len() as u64;
    let first = observations(values);
    let o = store
        .record_observations(&source("a"), &first)
        .await
        .unwrap();
    assert_eq!(o.inserted, n);
    // Again: nothing changes.
    let o = store
        .record_observations(&source("b"), &first)
        .await
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            unchanged: n,
            ..Default::default()
        }
    );
    // Read back exactly as given.
    let bg: zielwerk_domain::IndicatorCode = "BG".parse().unwrap();
    let stored = store
        .current_values(
            "t36402".parse::<zielwerk_domain::RegionId>().unwrap(),
            &[&bg],
        )
        .await
        .unwrap();
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    let wanted: Vec<_> = first
        .iter()
        .map(|o| {
            (
                o.month,
                bits(o.value),
                bits(o.numerator),
                bits(o.denominator),
            )
        })
        .collect();
    let got: Vec<_> = stored
        .iter()
        .map(|c| {
            let o = &c.observation;
            (
                o.month,
                bits(o.value),
                bits(o.numerator),
                bits(o.denominator),
            )
        })
        .collect();
    assert_eq!(got, wanted);
    // Every value changed by far more than the comparison allows: every one a revision.
    let changed: Vec<(f64, Option<f64>)> = values
        .iter()
        .map(|(v, d)| (if *v == 0.0 { 1.0 } else { v * 0.5 }, *d))
        .collect();
    let o = store
        .record_observations(&source("c"), &observations(&changed))
        .await
        .unwrap();
    assert_eq!(
        o,
        RecordOutcome {
            revised: n,
            ..Default::default()
        }
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn values_read_back_for_comparison_are_the_stored_ones(
        values in prop::collection::vec(
            (finite(), prop::option::of(finite().prop_filter("not zero", |d| *d != 0.0))),
            1..40,
        ),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(dir.path().join("t.db").to_str().unwrap())
                .await
                .unwrap();
            values_read_back(&store, &values).await;
            store.close().await;
        });
    }
}

/// The smallest subnormal, ratios and the largest numbers, on both backends.
async fn extreme_numbers_read_back_for_comparison(store: Store) {
    let values: Vec<(f64, Option<f64>)> = (0..30)
        .map(|i| match i % 3 {
            0 => (f64::from_bits(0x0000_0000_0000_0001), None),
            1 => (0.1 + 0.2 * f64::from(i), Some(3.0)),
            _ => (f64::MAX / f64::from(i), None),
        })
        .collect();
    values_read_back(&store, &values).await;
}
