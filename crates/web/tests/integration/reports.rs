//! Reports end to end over HTTP: the Vorlage editor with its conflict message, the documents
//! (PDF read back with pdftotext, DOCX opened by LibreOffice, XLSX read back with calamine), the
//! monitoring report, publication, and OParl validated against the official OParl 1.1 schemas
//! with every accessUrl fetched and checked.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use sha2::Digest;

use crate::{METTMANN, Server, bytes, demo_server, get, pdftotext};

const SCHEMAS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/oparl-1.1-schema"
);

/// Creates the demo Vorlage (as `zielwerk demo` does) and returns its id.
pub async fn demo_vorlage(s: &Server) -> String {
    let a = zielwerk_demo::mettmann_agreement().unwrap();
    s.store
        .create_vorlage(&a.key(), &zielwerk_demo::mettmann_vorlage(&a))
        .await
        .unwrap()
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn validate(schema: &str, instance: &Value) {
    let text = std::fs::read_to_string(format!("{SCHEMAS}/{schema}.json")).unwrap();
    let schema_json: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::validator_for(&schema_json).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema}: {errors:?}\n{instance:#}");
}

async fn oparl(url: &str) -> Value {
    let (status, ct, body) = bytes(url).await;
    assert_eq!(status, 200, "{url}");
    assert!(ct.starts_with("application/json"), "{url}: {ct}");
    serde_json::from_slice(&body).unwrap()
}

/// Validates a list page and returns its items.
async fn oparl_list(url: &str, schema: &str) -> Vec<Value> {
    let l = oparl(url).await;
    let p = &l["pagination"];
    assert!(
        p["totalElements"].is_u64() && p["currentPage"].is_u64(),
        "{l:#}"
    );
    assert!(l["links"]["first"].is_string() && l["links"]["self"].is_string());
    let items = l["data"].as_array().unwrap().clone();
    for i in &items {
        validate(schema, i);
    }
    items
}

#[tokio::test]
async fn vorlage_documents_publication_and_oparl() {
    let s = demo_server().await;
    let vid = demo_vorlage(&s).await;
    let agreement = zielwerk_demo::mettmann_agreement().unwrap();

    // The report list links the Vorlage; the editor shows the stored header.
    let (status, list, _) = get(&s.url(&format!("{METTMANN}/berichte"))).await;
    assert_eq!(status, 200);
    assert!(list.contains(&format!("/vorlagen/{vid}")) && list.contains("50/058/2022"));
    let (_, editor, _) = get(&s.url(&format!("/vorlagen/{vid}"))).await;
    assert!(editor.contains("value=\"Martin Klemmer\""), "{editor}");
    assert!(
        !editor.contains("fehlt noch"),
        "the demo header is complete"
    );

    // The PDF holds every goal title and the Beratungsfolge.
    let (status, ct, pdf) = bytes(&s.url(&format!("/vorlagen/{vid}/vorlage.pdf"))).await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    let text = normalise(&pdftotext(&pdf));
    for g in &agreement.goals {
        assert!(
            text.contains(&normalise(&g.title)),
            "goal „{}“ missing",
            g.title
        );
    }
    for must in [
        "Vorlagen-Nr. 50/058/2022",
        "Beratungsfolge Termine Art der Entscheidung",
        "Sozialausschuss 24.11.2022 Kenntnisnahme",
        "Bearbeiter/in: Martin Klemmer",
        "Anlage 1: Kommunale Ziele 2022",
        "Anlage 2: Lokales Planungsdokument",
        "Statistische Geheimhaltung",
    ] {
        assert!(text.contains(must), "„{must}“ missing in:\n{text}");
    }

    // The DOCX opens in LibreOffice and has the same structure.
    let (status, ct, docx) = bytes(&s.url(&format!("/vorlagen/{vid}/vorlage.docx"))).await;
    assert_eq!(status, 200);
    assert!(ct.contains("wordprocessingml"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("v.docx"), &docx).unwrap();
    let out = Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(dir.path().join("v.docx"))
        .env("HOME", dir.path())
        .output()
        .expect("LibreOffice (libreoffice-writer-nogui) is installed by scripts/test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let converted = normalise(&pdftotext(
        &std::fs::read(dir.path().join("v.pdf")).unwrap(),
    ));
    for g in &agreement.goals {
        assert!(
            converted.contains(&normalise(&g.title)),
            "DOCX: goal „{}“ missing",
            g.title
        );
    }
    assert!(
        converted.contains("Sozialausschuss")
            && converted.contains("Anlage 2: Lokales Planungsdokument")
    );

    // Monitoring report: off-track goals first.
    let (_, page, _) = get(&s.url(&format!("{METTMANN}/monitoring?stand=2022-09"))).await;
    let first_missed = page.find("status missed").unwrap();
    let first_on_track = page.find("status on-track").unwrap();
    assert!(first_missed < first_on_track, "verfehlt before im Plan");
    let (status, ct, mpdf) =
        bytes(&s.url(&format!("{METTMANN}/monitoring.pdf?stand=2022-09"))).await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    assert!(pdftotext(&mpdf).contains("Monitoringbericht September 2022"));

    // Excel: German headers, numbers as numbers, source and Datenstand.
    let (status, _, xlsx) =
        bytes(&s.url(&format!("{METTMANN}/werte.xlsx?ziel=kdu-bg&stand=2022-09"))).await;
    assert_eq!(status, 200);
    let path = dir.path().join("w.xlsx");
    std::fs::write(&path, &xlsx).unwrap();
    use calamine::{Data, Reader};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let range = wb.worksheet_range("Werte").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        &header[..7],
        [
            "Zielbereich",
            "Ziel",
            "Kennzahl",
            "Code",
            "Einheit",
            "Monat",
            "Wert"
        ]
    );
    assert!(header.contains(&"Datenstand".to_owned()) && header.contains(&"Quelle".to_owned()));
    let row = range.rows().nth(1).unwrap();
    assert!(
        matches!(row[6], Data::Float(_)),
        "value is a number: {:?}",
        row[6]
    );
    assert!(
        matches!(row[5], Data::DateTime(_)),
        "month is a date: {:?}",
        row[5]
    );
    assert!(row[13].to_string().contains("Demodaten"));

    // Publication freezes the files; OParl serves them.
    let client = s.client.clone();
    let r = client
        .post(s.url(&format!("/vorlagen/{vid}/veroeffentlichen")))
        .form(&[("_csrf", s.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "redirected to the Vorlage page");
    let r = client
        .post(s.url(&format!("/vorlagen/{vid}")))
        .form(&[
            ("revision", "1"),
            ("number", "50/058/2022"),
            ("date", "2022-11-08"),
            ("_csrf", s.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        409,
        "a published Vorlage cannot be edited"
    );

    let system = oparl(&s.url("/oparl/v1/system")).await;
    validate("System", &system);
    let bodies = oparl_list(system["body"].as_str().unwrap(), "Body").await;
    assert_eq!(bodies.len(), 1);
    let body = oparl(bodies[0]["id"].as_str().unwrap()).await;
    validate("Body", &body);
    assert_eq!(body["name"], "Kreis Mettmann");
    assert!(
        oparl_list(body["person"].as_str().unwrap(), "Person")
            .await
            .is_empty()
    );
    assert!(
        oparl_list(body["meeting"].as_str().unwrap(), "Meeting")
            .await
            .is_empty()
    );
    let orgs = oparl_list(body["organization"].as_str().unwrap(), "Organization").await;
    assert_eq!(orgs[0]["name"], "Sozialausschuss");
    validate(
        "Organization",
        &oparl(orgs[0]["id"].as_str().unwrap()).await,
    );
    let papers = oparl_list(body["paper"].as_str().unwrap(), "Paper").await;
    assert_eq!(papers.len(), 1);
    let paper = oparl(papers[0]["id"].as_str().unwrap()).await;
    validate("Paper", &paper);
    assert_eq!(paper["reference"], "50/058/2022");
    for c in paper["consultation"].as_array().unwrap() {
        validate("Consultation", c);
        validate("Consultation", &oparl(c["id"].as_str().unwrap()).await);
        assert_eq!(c["organization"][0], orgs[0]["id"]);
    }
    let mut files = vec![paper["mainFile"].clone()];
    files.extend(paper["auxiliaryFile"].as_array().unwrap().iter().cloned());
    let derived = oparl(paper["mainFile"]["derivativeFile"][0].as_str().unwrap()).await;
    assert_eq!(derived["masterFile"], paper["mainFile"]["id"]);
    files.push(derived);
    let mut mimes = BTreeSet::new();
    for f in &files {
        validate("File", f);
        let (status, ct, content) = bytes(f["accessUrl"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(ct, f["mimeType"].as_str().unwrap());
        assert_eq!(content.len() as u64, f["size"].as_u64().unwrap());
        let digest = hex::encode(sha2::Sha512::digest(&content));
        assert_eq!(
            digest,
            f["sha512Checksum"].as_str().unwrap(),
            "checksum of {}",
            f["fileName"]
        );
        mimes.insert(ct);
    }
    assert_eq!(files.len(), 4, "PDF, DOCX and two Anlagen");
    assert_eq!(mimes.len(), 2);

    // Filters and pagination.
    let papers_url = body["paper"].as_str().unwrap();
    let none = oparl(&format!(
        "{papers_url}?modified_since=2999-01-01T00:00:00%2B00:00"
    ))
    .await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0);
    let all = oparl(&format!(
        "{papers_url}?modified_since=2000-01-01T00:00:00Z&limit=1"
    ))
    .await;
    assert_eq!(all["pagination"]["totalElements"], 1);
    assert!(
        all["links"]["self"]
            .as_str()
            .unwrap()
            .contains("modified_since=2000-01-01T00:00:00Z")
    );
    let (status, bad, _) = get(&format!("{papers_url}?modified_since=gestern")).await;
    assert_eq!(status, 400);
    assert!(bad.contains("modified_since"), "{bad}");

    // Drafts are invisible: a new draft is not listed and its id gives 404.
    let draft = demo_vorlage(&s).await;
    let (status, _, _) = get(&s.url(&format!("/oparl/v1/papers/{draft}"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_second_editor_gets_a_conflict_and_keeps_the_typed_text() {
    let s = demo_server().await;
    let vid = demo_vorlage(&s).await;
    let client = s.client.clone();
    let form = |bearbeiter: &'static str| {
        vec![
            ("_csrf", s.csrf.as_str()),
            ("revision", "1"),
            ("number", "50/058/2022"),
            ("public", "1"),
            ("fachbereich", "Sozialamt"),
            ("bearbeiter", bearbeiter),
            ("date", "2022-11-08"),
            ("aktenzeichen", "50"),
            ("title", "Sachstandsbericht des Sozialamtes"),
            ("committee_1", "Sozialausschuss"),
            ("consultation_date_1", "2022-11-24"),
            ("decision_1", "kenntnisnahme"),
            ("impact_financial", "nein"),
            ("impact_personnel", "nein"),
            ("impact_organisational", "nein"),
            ("impact_key_figures", "ja"),
            ("impact_climate", "nein"),
            ("resolution", "Zur Kenntnis."),
            ("occasion", "Text."),
        ]
    };
    let first = client
        .post(s.url(&format!("/vorlagen/{vid}")))
        .form(&form("Erste Person"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let second = client
        .post(s.url(&format!("/vorlagen/{vid}")))
        .form(&form("Zweite <Person>"))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status().as_u16(), 409);
    let page = second.text().await.unwrap();
    assert!(
        page.contains("inzwischen von jemand anderem geändert"),
        "{page}"
    );
    assert!(
        page.contains("value=\"Zweite &#60;Person&#62;\"")
            || page.contains("value=\"Zweite &lt;Person&gt;\""),
        "typed text kept, escaped: {page}"
    );
    let stored = s.store.vorlage(&vid).await.unwrap().unwrap();
    assert_eq!(stored.header.bearbeiter, "Erste Person");
}

/// The quarterly status report and the year-end review: offered on the report page, as PDF and
/// DOCX, public versions with the suppression note; a wrong quarter is refused in German.
#[tokio::test]
async fn quarterly_and_year_end_reports_as_pdf_and_docx() {
    let s = demo_server().await;
    let (_, list, _) = get(&s.url(&format!("{METTMANN}/berichte"))).await;
    assert!(
        list.contains("Quartalsbericht") && list.contains("Jahresbericht 2022"),
        "{list}"
    );
    assert!(
        list.contains("<option value=\"4\" selected>4. Quartal 2022</option>"),
        "{list}"
    );

    let (status, ct, pdf) = bytes(&s.url(&format!(
        "{METTMANN}/berichte/quartalsbericht.pdf?quartal=3"
    )))
    .await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    let text = normalise(&pdftotext(&pdf));
    for must in [
        "Quartalsbericht 3. Quartal 2022",
        "Berichtszeitraum Juli bis September 2022",
        "Ziel März 2022 Juni 2022 September",
        "Prognose für das",
        "Gegenüber dem Vorquartal",
        "Interne Fassung",
    ] {
        assert!(text.contains(must), "„{must}“ missing in:\n{text}");
    }

    let (status, _, pdf) = bytes(&s.url(&format!(
        "{METTMANN}/berichte/jahresbericht.pdf?oeffentlich=1"
    )))
    .await;
    assert_eq!(status, 200);
    let text = normalise(&pdftotext(&pdf));
    for must in [
        "Jahresbericht 2022",
        "Ergebnis",
        "Ergebnis 2022: 17 Ziele",
        "Statistische Geheimhaltung",
    ] {
        assert!(text.contains(must), "„{must}“ missing in:\n{text}");
    }

    let (status, ct, docx) = bytes(&s.url(&format!(
        "{METTMANN}/berichte/quartalsbericht.docx?quartal=2"
    )))
    .await;
    assert_eq!(status, 200);
    assert!(ct.contains("wordprocessingml"), "{ct}");
    assert!(docx.starts_with(b"PK"));

    for (query, message) in [
        (
            "quartalsbericht.pdf?quartal=5",
            "Parameter „quartal“: „5“ ist kein Quartal (erwartet 1, 2, 3 oder 4)",
        ),
        (
            "quartalsbericht.pdf",
            "Parameter „quartal“: fehlt (erwartet 1, 2, 3 oder 4)",
        ),
    ] {
        let (status, page, _) = get(&s.url(&format!("{METTMANN}/berichte/{query}"))).await;
        assert_eq!(status, 400, "{query}");
        assert!(page.contains(message), "{page}");
    }
    let (status, _, _) = get(&s.url(&format!("{METTMANN}/berichte/halbjahr.pdf"))).await;
    assert_eq!(status, 404);
}
