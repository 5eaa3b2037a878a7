//! Drafting an agreement part by part in the web (issue 20): the draft page, goal areas and
//! indicators of the agreement's own edited, a goal moved and handed to another party,
//! Handlungsansätze added and removed, removals refused while something uses the part; each
//! guarded by its revision, in the audit trail, and the result read back from its TOML file.

use crate::trust::post_as;
use crate::{METTMANN, Server, Session, demo_server, form_value};

const NEXT: &str = "/vereinbarungen/t36402-2023-v1";

/// What the field `name` of `page` holds: an input's value, a textarea's text, a select's
/// chosen option.
fn value_in(page: &str, name: &str) -> String {
    let at = format!("name=\"{name}\"");
    let start = page
        .find(&at)
        .unwrap_or_else(|| panic!("Feld {name} fehlt"));
    let tag = page[..start].rfind('<').unwrap();
    let rest = &page[tag..];
    let value = if rest.starts_with("<textarea") {
        let open = rest.find('>').unwrap() + 1;
        rest[open..rest.find("</textarea>").unwrap()].to_owned()
    } else if rest.starts_with("<select") {
        let body = &rest[..rest.find("</select>").unwrap()];
        body.split("<option value=\"")
            .skip(1)
            .find(|o| o.split('>').next().unwrap().contains(" selected"))
            .map(|o| o.split('"').next().unwrap().to_owned())
            .unwrap_or_default()
    } else {
        crate::form_value(page, name).to_owned()
    };
    value
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
}

/// The fields `names` of `page` as the form would send them unchanged.
fn form_of(page: &str, names: &[&'static str]) -> Vec<(&'static str, String)> {
    names.iter().map(|n| (*n, value_in(page, n))).collect()
}

/// Next year's draft as stored.
async fn draft_of(s: &Server) -> zielwerk_domain::Agreement {
    s.store
        .agreement(&"t36402-2023-v1".parse().unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn prepared(s: &Server) -> (Session, Session) {
    let kreis = s.login("kreis").await;
    let r = kreis
        .post(&s.url(&format!("{METTMANN}/folgejahr")), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    (kreis, s.login("steuerung").await)
}

#[tokio::test]
async fn areas_and_indicators_are_edited_and_a_goal_moved_and_handed_over() {
    let s = &demo_server().await;
    let (kreis, steuerung) = prepared(s).await;
    let draft = format!("{NEXT}/entwurf");
    let (status, page) = kreis.get(&s.url(&draft)).await;
    assert_eq!(status, 200, "{page}");
    let area = format!("{NEXT}/bereiche/kdu/bearbeiten");
    assert!(
        page.contains(&format!("<a href=\"{area}\">bearbeiten")),
        "{page}"
    );
    // The federal key figures are listed, not offered for editing.
    assert!(
        page.contains("Bundesweit festgelegt und nicht zu ändern"),
        "{page}"
    );
    assert!(!page.contains("/kennzahlen/K2/bearbeiten"), "{page}");
    let (status, page) = kreis
        .get(&s.url(&format!("{NEXT}/kennzahlen/K2/bearbeiten")))
        .await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("bundesweit festgelegt"), "{page}");
    // A reader does not draft; a signed agreement is not drafted.
    let leser = s.login("ausschuss").await;
    let (status, _) = leser.get(&s.url(&draft)).await;
    assert_ne!(status, 200);
    let (status, page) = kreis.get(&s.url(&format!("{METTMANN}/entwurf"))).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("über einen Nachtrag"), "{page}");

    // The area renamed; a second edit from the same page is stale and keeps what was typed.
    let (_, form) = kreis.get(&s.url(&area)).await;
    let mut fields = form_of(&form, &["titel", "art", "beschreibung", "revision"]);
    fields[0].1 = "Unterkunft und Heizung".into();
    let (status, page) = post_as(s, &kreis, &area, &fields).await;
    assert_eq!(status, 303, "{page}");
    fields[0].1 = "Kosten der Unterkunft (KdU)".into();
    let (status, page) = post_as(s, &kreis, &area, &fields).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("So ist es jetzt gespeichert"), "{page}");
    assert!(page.contains("<dd>Unterkunft und Heizung</dd>"), "{page}");
    assert!(
        page.contains("value=\"Kosten der Unterkunft (KdU)\""),
        "{page}"
    );
    // An empty title, at its field.
    fields[0].1 = "  ".into();
    fields[3].1 = form_value(&page, "revision").to_owned();
    let (status, page) = post_as(s, &kreis, &area, &fields).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("<span class=\"field-error\" id=\"fehler-titel\">Feld „Titel“: bitte 1 bis 300 Zeichen eingeben</span>"),
        "{page}"
    );

    // An indicator of the agreement's own: a formula over itself is named, a real one saved.
    let ind = format!("{NEXT}/kennzahlen/SUCHT_WARTEZEIT/bearbeiten");
    let (status, form) = kreis.get(&s.url(&ind)).await;
    assert_eq!(status, 200, "{form}");
    let mut fields = form_of(
        &form,
        &[
            "name",
            "beschreibung",
            "einheit",
            "richtung",
            "art",
            "faktor",
            "revision",
        ],
    );
    fields.push(("berechnung", "vorjahr".into()));
    fields.push(("basis", String::new()));
    // Every problem at once: the formula's and the rules' (an empty name).
    let name = std::mem::take(&mut fields[0].1);
    let (status, page) = post_as(s, &kreis, &ind, &fields).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("Feld „Basis“: bitte eine Kennzahl der Vereinbarung wählen"),
        "{page}"
    );
    assert!(
        page.contains("id=\"fehler-name\">Feld „Name“: bitte 1 bis 300 Zeichen eingeben"),
        "{page}"
    );
    fields[0].1 = name;
    fields.pop();
    fields.push(("basis", "KDU_JE_BG".into()));
    fields[0].1 = "Wartezeit bis zum Erstgespräch in Tagen".into();
    let (status, page) = post_as(s, &kreis, &ind, &fields).await;
    assert_eq!(status, 303, "{page}");
    let stored = draft_of(s).await;
    let w = stored
        .indicators
        .iter()
        .find(|i| i.code.as_str() == "SUCHT_WARTEZEIT")
        .unwrap();
    assert_eq!(w.name, "Wartezeit bis zum Erstgespräch in Tagen");
    assert_eq!(
        w.formula,
        zielwerk_domain::Formula::YearOverYear {
            base: "KDU_JE_BG".parse().unwrap()
        }
    );

    // A goal moved to another area and given to the Jobcenter: the Kreis alone may not hand
    // it over; someone with both rights may.
    let goal = stored
        .goals
        .iter()
        .find(|g| g.indicator.as_str() == "SUCHT_WARTEZEIT")
        .unwrap()
        .clone();
    let edit = format!("{NEXT}/ziele/{}/bearbeiten", goal.key);
    let (_, form) = kreis.get(&s.url(&edit)).await;
    assert!(
        form.contains("<label for=\"verantwortlich\">Verantwortlich</label>"),
        "{form}"
    );
    let mut fields = form_of(
        &form,
        &[
            "titel",
            "beschreibung",
            "ziel",
            "toleranz",
            "revision",
            "kennzahl",
        ],
    );
    fields.push(("bereich", "but".into()));
    fields.push(("verantwortlich", "jobcenter".into()));
    let (status, page) = post_as(s, &kreis, &edit, &fields).await;
    assert_eq!(status, 403, "{page}");
    let (status, page) = post_as(s, &steuerung, &edit, &fields).await;
    assert_eq!(status, 303, "{page}");
    let stored = draft_of(s).await;
    let moved = stored.goal(&goal.key).unwrap();
    assert_eq!(moved.area.as_str(), "but");
    assert_eq!(moved.responsible, zielwerk_domain::PartyRole::Jobcenter);
    // Now the Kreis no longer edits it.
    let (status, _) = kreis.get(&s.url(&edit)).await;
    assert_eq!(status, 403);

    // Every step in the trail, in German.
    let (_, trail) = kreis.get(&s.url(&format!("{NEXT}/protokoll"))).await;
    for action in ["Zielbereich geändert", "Kennzahl geändert", "Ziel geändert"] {
        assert!(trail.contains(action), "{action}: {trail}");
    }
    // The file of what the web built reads back as the same agreement.
    let (status, toml) = kreis.get(&s.url(&format!("{NEXT}/export.toml"))).await;
    assert_eq!(status, 200);
    let read = zielwerk_ingest::agreement_file::parse("export.toml", &toml).unwrap();
    assert_eq!(read, stored);
}

#[tokio::test]
async fn measures_are_added_and_parts_removed_only_when_nothing_uses_them() {
    let s = &demo_server().await;
    let (kreis, _) = prepared(s).await;
    let add = format!("{NEXT}/massnahme-hinzufuegen");
    let (status, form) = kreis.get(&s.url(&add)).await;
    assert_eq!(status, 200, "{form}");
    assert!(
        form.contains("<legend>Ziele, denen der Handlungsansatz dient</legend>"),
        "{form}"
    );
    let stored = draft_of(s).await;
    let kdu_goal = stored
        .goals
        .iter()
        .find(|g| g.area.as_str() == "kdu")
        .unwrap()
        .key
        .to_string();
    // Nothing given: every problem at once, nothing saved.
    let empty = vec![
        ("titel", String::new()),
        ("verantwortlich", "kreis".into()),
        ("beginn", "2023-13".into()),
        ("ende", String::new()),
        ("ziele_gesendet", "1".into()),
    ];
    let (status, page) = post_as(s, &kreis, &add, &empty).await;
    assert_eq!(status, 422, "{page}");
    for message in [
        "Feld „Beginn“:",
        "Feld „Titel“: bitte 1 bis 300 Zeichen eingeben",
        "Feld „Ziele“: bitte mindestens ein Ziel wählen",
    ] {
        assert!(page.contains(message), "{message}: {page}");
    }
    // Each at its field, for a screen reader too.
    assert!(
        page.contains("<p class=\"field-error\" id=\"fehler-ziele\">"),
        "{page}"
    );
    assert!(
        page.contains(
            "pattern=\"[0-9]{4}-[0-9]{2}\" aria-invalid=\"true\" aria-describedby=\"fehler-beginn\""
        ),
        "{page}"
    );
    let measure = vec![
        ("titel", "Mietobergrenzen prüfen".to_owned()),
        ("verantwortlich", "kreis".into()),
        (
            "beschreibung",
            "Prüfung der Angemessenheitsgrenzen nach dem schlüssigen Konzept".into(),
        ),
        (
            "wirkung",
            "Kosten je BG wachsen höchstens wie die Mieten im Kreis".into(),
        ),
        ("beginn", "2023-02".into()),
        ("ende", "2023-11".into()),
        ("ziele_gesendet", "1".into()),
        ("ziele", kdu_goal.clone()),
    ];
    let (status, page) = post_as(s, &kreis, &add, &measure).await;
    assert_eq!(status, 303, "{page}");
    let (_, draft) = kreis.get(&s.url(&format!("{NEXT}/entwurf"))).await;
    assert!(draft.contains("Mietobergrenzen prüfen"), "{draft}");
    let stored = draft_of(s).await;
    let m = stored
        .measures
        .iter()
        .find(|m| m.title == "Mietobergrenzen prüfen")
        .unwrap()
        .clone();
    assert_eq!(m.goals.len(), 1);
    assert_eq!(m.goals[0].as_str(), kdu_goal);
    assert_eq!(m.start.to_string(), "2023-02");

    // Its goals changed in the editor: none checked is refused at the field.
    let edit = format!("{NEXT}/massnahmen/{}/bearbeiten", m.key);
    let (_, form) = kreis.get(&s.url(&edit)).await;
    assert!(
        form.contains(&format!("value=\"{kdu_goal}\" checked")),
        "{form}"
    );
    let mut fields = form_of(
        &form,
        &[
            "titel",
            "beschreibung",
            "wirkung",
            "beginn",
            "ende",
            "revision",
        ],
    );
    fields.push(("ziele_gesendet", "1".into()));
    let (status, page) = post_as(s, &kreis, &edit, &fields).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("Feld „Ziele“: bitte mindestens ein Ziel wählen"),
        "{page}"
    );

    // An area with goals is not removed; the confirmation says why and offers no button.
    let remove_area = format!("{NEXT}/bereiche/kdu/entfernen");
    let (status, page) = kreis.get(&s.url(&remove_area)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("kann noch nicht entfernt werden"), "{page}");
    assert!(!page.contains("Ja, Zielbereich entfernen"), "{page}");
    let (status, page) = post_as(s, &kreis, &remove_area, &[("revision", "0".into())]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("Noch in Gebrauch durch das Ziel"), "{page}");

    // The Handlungsansatz removed after its confirmation.
    let remove = format!("{NEXT}/massnahmen/{}/entfernen", m.key);
    let (status, page) = kreis.get(&s.url(&remove)).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Ja, Handlungsansatz entfernen"), "{page}");
    let revision = form_value(&page, "revision").to_owned();
    let (status, page) = post_as(s, &kreis, &remove, &[("revision", revision)]).await;
    assert_eq!(status, 303, "{page}");

    // A goal removed frees its indicator; then the indicator and the emptied area go too.
    let stored = draft_of(s).await;
    let wait = stored
        .goals
        .iter()
        .find(|g| g.indicator.as_str() == "SUCHT_WARTEZEIT")
        .unwrap()
        .key
        .to_string();
    let remove_ind = format!("{NEXT}/kennzahlen/SUCHT_WARTEZEIT/entfernen");
    let (_, page) = kreis.get(&s.url(&remove_ind)).await;
    assert!(page.contains("kann noch nicht entfernt werden"), "{page}");
    let remove_goal = format!("{NEXT}/ziele/{wait}/entfernen");
    let (_, page) = kreis.get(&s.url(&remove_goal)).await;
    let revision = form_value(&page, "revision").to_owned();
    let (status, _) = post_as(s, &kreis, &remove_goal, &[("revision", revision)]).await;
    assert_eq!(status, 303);
    let (_, page) = kreis.get(&s.url(&remove_ind)).await;
    assert!(page.contains("Ja, Kennzahl entfernen"), "{page}");
    let revision = form_value(&page, "revision").to_owned();
    // A stale confirmation is not carried out.
    let (status, page) = post_as(s, &kreis, &remove_ind, &[("revision", "99".into())]).await;
    assert_eq!(status, 409, "{page}");
    let (status, _) = post_as(s, &kreis, &remove_ind, &[("revision", revision)]).await;
    assert_eq!(status, 303);

    let stored = draft_of(s).await;
    assert!(stored.measures.iter().all(|x| x.key != m.key));
    assert!(
        stored
            .indicators
            .iter()
            .all(|i| i.code.as_str() != "SUCHT_WARTEZEIT")
    );
    let (_, trail) = kreis.get(&s.url(&format!("{NEXT}/protokoll"))).await;
    for action in [
        "Handlungsansatz hinzugefügt",
        "Handlungsansatz entfernt",
        "Kennzahl entfernt",
        "Ziel entfernt",
    ] {
        assert!(trail.contains(action), "{action}: {trail}");
    }
    let (_, toml) = kreis.get(&s.url(&format!("{NEXT}/export.toml"))).await;
    let read = zielwerk_ingest::agreement_file::parse("export.toml", &toml).unwrap();
    assert_eq!(read, stored);
}

#[tokio::test]
async fn an_annual_target_becomes_a_monthly_trajectory_and_back() {
    let s = &demo_server().await;
    let (kreis, _) = prepared(s).await;
    let edit = format!("{NEXT}/ziele/kdu-je-bg/bearbeiten");
    let (_, form) = kreis.get(&s.url(&edit)).await;
    assert!(
        form.contains(&format!(
            "<a href=\"{edit}?zielart=zielpfad\">Monatlichen Zielpfad vereinbaren</a>"
        )),
        "{form}"
    );
    let annual = value_in(&form, "ziel");
    // The form switched: twelve month fields, December holding the annual value; nothing saved.
    let (status, form) = kreis.get(&s.url(&format!("{edit}?zielart=zielpfad"))).await;
    assert_eq!(status, 200, "{form}");
    assert!(
        form.contains("Bisher ist ein Jahreszielwert gespeichert"),
        "{form}"
    );
    assert_eq!(value_in(&form, "zielart"), "zielpfad");
    assert_eq!(value_in(&form, "monat-01"), "");
    let number = |v: String| v.replace('.', "").replace(',', ".").parse::<f64>().unwrap();
    assert_eq!(number(value_in(&form, "monat-12")), number(annual));
    let mut fields = form_of(
        &form,
        &[
            "titel",
            "beschreibung",
            "toleranz",
            "revision",
            "zielart",
            "bereich",
            "kennzahl",
            "verantwortlich",
        ],
    );
    let row: Vec<String> = (0..12).map(|i| format!("{}", 740 - i)).collect();
    fields.push(("zeile", row.join("\t")));
    let (status, page) = post_as(s, &kreis, &edit, &fields).await;
    assert_eq!(status, 303, "{page}");
    let stored = draft_of(s).await;
    let g = stored.goal(&"kdu-je-bg".parse().unwrap()).unwrap();
    let zielwerk_domain::Target::Monthly { values } = &g.target else {
        panic!("{:?}", g.target)
    };
    assert_eq!(values.len(), 12);
    assert_eq!(values[&"2023-12".parse().unwrap()], 729.0);
    // And back: December's value becomes the annual target.
    let (_, form) = kreis
        .get(&s.url(&format!("{edit}?zielart=jahreswert")))
        .await;
    assert_eq!(number(value_in(&form, "ziel")), 729.0);
    let fields = form_of(
        &form,
        &[
            "titel",
            "beschreibung",
            "ziel",
            "toleranz",
            "revision",
            "zielart",
            "bereich",
            "kennzahl",
            "verantwortlich",
        ],
    );
    let (status, page) = post_as(s, &kreis, &edit, &fields).await;
    assert_eq!(status, 303, "{page}");
    let stored = draft_of(s).await;
    assert_eq!(
        stored.goal(&"kdu-je-bg".parse().unwrap()).unwrap().target,
        zielwerk_domain::Target::Annual { value: 729.0 }
    );
}
