//! `zielwerk demo`: build or refresh the demo database, then serve it.

use anyhow::{Context, Result};
use zielwerk_store::{SaveOutcome, Store};

use super::{BindArg, DbArg, open};

/// Legt die Demodatenbank an oder frischt sie auf und startet dann den Webserver.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArg,
    #[command(flatten)]
    bind: BindArg,
    /// Startwert des Demo-Generators (gleicher Startwert, gleiche Zahlen).
    #[arg(long, default_value_t = zielwerk_demo::DEFAULT_SEED)]
    seed: u64,
    /// Nur die Datenbank aufbauen, keinen Server starten.
    #[arg(long)]
    no_serve: bool,
    /// Dazu die bundesweite Demo: ein erzeugtes Jobcenter je Kreis (399) mit Monatswerten
    /// 2013–2022, an INKAR kalibriert, und je einer Zielvereinbarung 2022 (alles als erzeugt
    /// gekennzeichnet).
    #[arg(long)]
    bundesweit: bool,
}

pub async fn run(a: Args) -> Result<()> {
    let store = open(&a.db.db).await?.acting_as("Demo-Generator");
    build_demo(&store, a.seed).await?;
    if a.bundesweit {
        national(&store, a.seed).await?;
    }
    store.checkpoint().await?;
    if a.no_serve {
        Ok(())
    } else {
        super::serve::serve(store, &a.bind.bind, false, None, None, None).await
    }
}

async fn build_demo(store: &Store, seed: u64) -> Result<()> {
    let demo = zielwerk_demo::build(seed)?;
    for a in &demo.agreements {
        // The demo owns its agreements: a newer demo replaces them even when signed.
        if let Some(existing) = store.agreement(&a.key()).await?
            && &existing != a
        {
            store.delete_agreement(&a.key()).await?;
        }
        let outcome = store
            .save_agreement(a)
            .await
            .with_context(|| format!("Demo-Vereinbarung {} lässt sich nicht speichern", a.key()))?;
        let what = match outcome {
            SaveOutcome::Created => "angelegt",
            SaveOutcome::Replaced => "ersetzt",
            SaveOutcome::Unchanged => "unverändert",
        };
        eprintln!("Vereinbarung {} ({}): {what}", a.key(), a.jobcenter.name);
    }
    // The committee paper of the seed, as a draft, unless the demo database already has one.
    let mettmann = zielwerk_demo::mettmann_agreement()?;
    if store.vorlagen(&mettmann.key()).await?.is_empty() {
        let header = zielwerk_demo::mettmann_vorlage(&mettmann);
        store.create_vorlage(&mettmann.key(), &header).await?;
        eprintln!("Vorlage {} (Entwurf): angelegt", header.number);
    }
    for batch in &demo.batches {
        let o = store
            .record_observations(&batch.source, &batch.observations)
            .await
            .with_context(|| {
                format!(
                    "Werte aus „{}“ lassen sich nicht speichern",
                    batch.source.label
                )
            })?;
        eprintln!(
            "{}: {} neu, {} revidiert, {} unverändert",
            batch.source.label, o.inserted, o.revised, o.unchanged
        );
    }
    inkar(store).await?;
    demo_users(store).await?;
    // A steering meeting on the September figures, with its generated agenda, unless there is one.
    if store.meetings(&mettmann.key()).await?.is_empty() {
        use zielwerk_domain::{MeetingHeader, MeetingKind, Participant, PartyRole};
        let participant = |party, name: &str| Participant {
            party,
            name: name.into(),
        };
        let header = MeetingHeader {
            kind: MeetingKind::Zielnachhaltedialog,
            title: String::new(),
            date: chrono::NaiveDate::from_ymd_opt(2022, 10, 12).expect("a real date"),
            month: zielwerk_domain::YearMonth::new(2022, 9)?,
            place: "Kreishaus Mettmann".into(),
            participants: vec![
                participant(PartyRole::Kreis, "Sozialamt, Controlling (Demo)"),
                participant(PartyRole::Agentur, "Vorsitz der Trägerversammlung (Demo)"),
                participant(PartyRole::Jobcenter, "Geschäftsführung (Demo)"),
            ],
        };
        let title = header.display_title();
        zielwerk_app::documents::create_meeting(store, &mettmann.key(), header).await?;
        eprintln!("Sitzung „{title}“: angelegt");
    }
    Ok(())
}

/// The national demo (`zielwerk_demo::national`): a generated Jobcenter per Kreis with its
/// agreement and ten years of monthly figures. A second run finds everything unchanged.
async fn national(store: &Store, seed: u64) -> Result<()> {
    let started = std::time::Instant::now();
    let skip: Vec<String> = zielwerk_demo::build(seed)?
        .agreements
        .iter()
        .filter_map(|a| a.jobcenter.ags.as_str().get(..5).map(str::to_owned))
        .collect();
    let skip: Vec<&str> = skip.iter().map(String::as_str).collect();
    let n = zielwerk_demo::national::build(seed, &skip)?;
    let mut created = 0;
    for a in &n.agreements {
        if let Some(existing) = store.agreement(&a.key()).await?
            && &existing != a
        {
            store.delete_agreement(&a.key()).await?;
        }
        if store.save_agreement(a).await? != SaveOutcome::Unchanged {
            created += 1;
        }
    }
    let source = zielwerk_domain::Source {
        kind: zielwerk_domain::SourceKind::Demo,
        label: format!("Bundesweite Demodaten (erzeugt, Startwert {seed})"),
        detail: "Erzeugt vom dokumentierten Generator crates/demo/src/national.rs: je Kreis ein Demo-Jobcenter, Monatswerte 2013–2022, Niveaus an INKAR kalibriert (KdU und Arbeitslosengeld II je BG, Entwicklung der Personen in BG), Größe erzeugt. Keine amtlichen Zahlen.".into(),
        file_name: None,
        sha256: None,
    };
    let o = store.record_observations(&source, &n.observations).await?;
    eprintln!(
        "Bundesweite Demo: {} Jobcenter ({created} Vereinbarungen angelegt oder ersetzt), {} Werte: {} neu, {} unverändert, in {:.1} s",
        n.agreements.len(),
        n.observations.len(),
        o.inserted,
        o.unchanged,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The real INKAR table of every Kreis, Land and the Bund, through its shipped mapping as a user
/// would import it (a second run finds it unchanged).
async fn inkar(store: &Store) -> Result<()> {
    use zielwerk_demo::inkar;
    let mapping = zielwerk_ingest::mapped::parse_mapping(inkar::MAPPING_NAME, inkar::MAPPING)
        .map_err(anyhow::Error::msg)?;
    let request = zielwerk_importer::Request {
        name: inkar::FILE_NAME.into(),
        input: Box::new(std::io::Cursor::new(inkar::CSV.as_bytes())),
        mapping: Some(mapping),
        recorded_by: "Demo-Generator".into(),
        via: "zielwerk demo",
        commit: true,
        may_write: None,
        progress: None,
        by_hand: false,
        about: None,
    };
    let when = chrono::Local::now().format("%d.%m.%Y %H:%M").to_string();
    let report = zielwerk_importer::run(store, request, &when).await?;
    let o = report.outcome;
    eprintln!(
        "INKAR (400 Kreise, 16 Länder, Bund): {} neu, {} revidiert, {} unverändert",
        o.inserted, o.revised, o.unchanged
    );
    Ok(())
}

/// The demo's password, for every demo account; printed by `zielwerk demo`.
pub const DEMO_PASSWORD: &str = "zielwerk-demo";

/// One account per role for the demo, unless the database has accounts already.
async fn demo_users(store: &Store) -> Result<()> {
    use zielwerk_domain::{Grant, Role};
    let note = format!(
        "Demo-Konten (Passwort jeweils „{DEMO_PASSWORD}“): kreis, agentur, jobcenter, ausschuss (Leserecht), aufsicht (Land und Regionaldirektion: veröffentlichte Zahlen und Stand der Ziele aller Jobcenter), admin"
    );
    if store.has_users().await? {
        if store.user_by_login("kreis").await?.is_some() {
            eprintln!("{note}");
        }
        return Ok(());
    }
    let both = |role| -> Vec<Grant> {
        ["t36402", "t73906"]
            .iter()
            .map(|j| Grant {
                scope: j.parse().expect("a BA id"),
                role,
            })
            .collect()
    };
    let accounts: [(&str, &str, Vec<Grant>); 6] = [
        ("kreis", "Karla Kreis (Sozialamt, Demo)", both(Role::Kreis)),
        (
            "agentur",
            "Anton Agentur (Agentur für Arbeit, Demo)",
            both(Role::Agentur),
        ),
        (
            "jobcenter",
            "Jana Jobcenter (Controlling, Demo)",
            both(Role::Jobcenter),
        ),
        (
            "ausschuss",
            "Ausschussmitglied Mettmann (Demo)",
            vec![Grant {
                scope: "t36402".parse().expect("a BA id"),
                role: Role::Leserecht,
            }],
        ),
        (
            "aufsicht",
            "Aufsicht (Landesministerium, Demo)",
            vec![Grant {
                scope: zielwerk_domain::Scope::All,
                role: Role::Aufsicht,
            }],
        ),
        (
            "admin",
            "Administration (Demo)",
            vec![Grant {
                scope: zielwerk_domain::Scope::All,
                role: Role::Admin,
            }],
        ),
    ];
    for (login, name, grants) in accounts {
        let hash =
            zielwerk_app::accounts::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
        store.add_user(login, name, &hash, &grants).await?;
    }
    eprintln!("{note}: angelegt");
    Ok(())
}
