//! Steering meetings over HTTP: the generated agenda, appraisals on frozen figures that survive a
//! revised import, decisions with action items, their status in a later meeting, the minutes as
//! PDF (pdftotext) and DOCX, the Jobcenter-wide list, comments and the final monitoring report.
//! The scenarios run here on SQLite and in `postgres.rs` on PostgreSQL.

use crate::{METTMANN, Server, bytes, confirm, demo_server, get, pdftotext, token_of, upload};

/// Posts a form and follows the redirect; returns status, final path (with fragment) and page.
pub async fn post(s: &Server, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let mut fields = form.to_vec();
    fields.push(("_csrf", &s.csrf));
    let r = s
        .client
        .post(s.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let url = r.url().path().to_owned();
    (status, url, r.text().await.unwrap())
}

/// The value of the first `name="…" value="…"` after `marker` in `page`.
fn value_after<'a>(page: &'a str, marker: &str, name: &str) -> &'a str {
    let rest = page
        .split(marker)
        .nth(1)
        .unwrap_or_else(|| panic!("{marker} fehlt"));
    crate::form_value(rest, name)
}

async fn new_meeting(s: &Server, kind: &str, date: &str, month: &str) -> (String, String) {
    let (status, url, page) = post(
        s,
        &format!("{METTMANN}/sitzungen"),
        &[
            ("art", kind),
            ("datum", date),
            ("monat", month),
            ("ort", "Kreishaus Mettmann"),
            ("teilnehmende_kreis", "Frau Kreis\r\nHerr Sozialamt"),
            ("teilnehmende_agentur", "Frau Agentur"),
            ("teilnehmende_jobcenter", "Herr Geschäftsführer"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(url.starts_with("/sitzungen/"), "{url}");
    (url, page)
}

/// The goal titles of the agenda overview, in order, with their frozen status.
fn agenda(page: &str) -> Vec<String> {
    page.split("<ol class=\"agenda-overview\">")
        .nth(1)
        .unwrap()
        .split("</ol>")
        .next()
        .unwrap()
        .split("<li>")
        .skip(1)
        .map(|li| {
            let mut text = String::new();
            let mut tag = false;
            for c in li.chars() {
                match c {
                    '<' => tag = true,
                    '>' => tag = false,
                    c if !tag => text.push(c),
                    _ => {}
                }
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

#[tokio::test]
async fn a_steering_cycle_from_agenda_to_minutes() {
    steering_cycle(&demo_server().await).await;
}

pub async fn steering_cycle(s: &Server) {
    let (m1, page) = new_meeting(s, "zielnachhaltedialog", "2022-10-12", "2022-09").await;
    assert!(page.contains("<h1>Zielnachhaltedialog am 12.10.2022</h1>"));
    let items = agenda(&page);
    assert_eq!(items.len(), 17, "{items:#?}");
    // Verfehlt first, then gefährdet, then the rest.
    let rank = |i: &String| {
        if i.contains("verfehlt") {
            0
        } else if i.contains("gefährdet") {
            1
        } else {
            2
        }
    };
    let ranks: Vec<i32> = items.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{items:#?}");
    assert!(ranks[0] == 0 && ranks.contains(&1) && ranks.contains(&2));
    let bg = items
        .iter()
        .position(|i| i.starts_with("Zahl der Bedarfsgemeinschaften weiter senken"))
        .unwrap();
    assert!(items[bg].contains("verfehlt"));

    // Appraise the BG goal on its frozen figures.
    let marker = "TOP 2: Zahl der Bedarfsgemeinschaften weiter senken";
    assert_eq!(bg, 1, "{items:#?}");
    let item = value_after(&page, marker, "top").to_owned();
    let revision = value_after(&page, marker, "revision").to_owned();
    let frozen = page
        .split(marker)
        .nth(1)
        .unwrap()
        .split("<dd class=\"frozen-value\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(frozen, "18.592 (September 2022)");
    let (status, url, page) = post(
        s,
        &format!("{m1}/tagesordnung/{item}/wuerdigung"),
        &[
            ("revision", &revision),
            (
                "wuerdigung",
                "Der Rückgang bleibt hinter dem Zielpfad; Zuzüge aus der Ukraine.",
            ),
            ("steuerungsbedarf", "1"),
        ],
    )
    .await;
    assert_eq!((status, url.as_str()), (200, m1.as_str()));
    assert!(page.contains("Zuzüge aus der Ukraine.</textarea>"));
    assert!(page.contains("Steuerungsbedarf festgestellt"));
    // A second save from the same stale revision is refused; the typed text is in the message.
    let (status, _, conflict) = post(
        s,
        &format!("{m1}/tagesordnung/{item}/wuerdigung"),
        &[("revision", &revision), ("wuerdigung", "Anderer Text")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(conflict.contains("inzwischen von jemand anderem geändert"));
    assert!(conflict.contains("Anderer Text"));

    // A decision with an action item; unknown goals and bad dates are named.
    let (status, _, bad) = post(
        s,
        &format!("{m1}/beschluesse"),
        &[
            ("top", &item),
            ("beschluss", "x"),
            ("aufgabe", "y"),
            ("partei", "jobcenter"),
            ("faellig", "30.02.2022"),
            ("ziel", "gibt-es-nicht"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        bad.contains("Feld „fällig am“: „30.02.2022“ ist kein Datum"),
        "{bad}"
    );
    let (status, _, bad) = post(
        s,
        &format!("{m1}/beschluesse"),
        &[
            ("top", &item),
            ("beschluss", "x"),
            ("aufgabe", "y"),
            ("partei", "jobcenter"),
            ("faellig", "2022-11-30"),
            ("ziel", "gibt-es-nicht"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(bad.contains("Feld „Ziel“: „gibt-es-nicht“ gibt es in dieser Vereinbarung nicht"));
    let (status, _, page) = post(
        s,
        &format!("{m1}/beschluesse"),
        &[
            ("top", &item),
            (
                "beschluss",
                "Das Jobcenter legt ein Konzept für Fallkonferenzen vor.",
            ),
            ("aufgabe", "Konzept Fallkonferenzen vorlegen"),
            ("partei", "jobcenter"),
            ("person", "Herr Geschäftsführer"),
            ("faellig", "2022-11-15"),
            ("ziel", "kdu-bg"),
            ("massnahme", "kdu-kostensenkung"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("Aufgabe: Konzept Fallkonferenzen vorlegen – verantwortlich: Jobcenter (Herr Geschäftsführer), fällig 15.11.2022, offen"));

    // The Jobcenter-wide list shows it open; after its due date it stands out as overdue.
    let (_, list, _) = get(&s.url("/jobcenter/t36402/aufgaben")).await;
    assert!(list.contains("Konzept Fallkonferenzen vorlegen"));
    assert!(list.contains("1 Aufgabe, davon 1 überfällig."), "{list}");
    assert!(list.contains("<tr class=\"overdue\">"));
    let (_, kreis, _) = get(&s.url("/jobcenter/t36402/aufgaben?partei=kreis")).await;
    assert!(kreis.contains("0 Aufgaben"));
    let (status, _, _) = get(&s.url("/jobcenter/t36402/aufgaben?status=bald")).await;
    assert_eq!(status, 400);

    // The revised import changes today's figure, not the frozen one.
    let csv = "jobcenter;kennzahl;monat;wert;status;datenstand\nt36402;BG;September 2022;17.500;endgültig;15.02.2023\n";
    let (status, preview) = upload(s, "revision-bg.csv", csv, "").await;
    assert_eq!(status, 200, "{preview}");
    let (status, _) = confirm(s, &token_of(&preview)).await;
    assert_eq!(status, 200);
    let (_, page, _) = get(&s.url(&m1)).await;
    let section = page.split(marker).nth(1).unwrap();
    assert!(section.contains("<dd class=\"frozen-value\">18.592 (September 2022)</dd>"));
    assert!(
        section.contains("Die Werte wurden seitdem revidiert: heute 17.500"),
        "{section}"
    );
    assert!(section.contains("Zuzüge aus der Ukraine."));

    // A second meeting: the overdue action item is on the agenda; it is marked done there.
    let (m2, page) = new_meeting(s, "traegerversammlung", "2022-12-07", "2022-10").await;
    let items = agenda(&page);
    assert!(
        items
            .iter()
            .any(|i| i.starts_with("Überfällige Aufgabe: Konzept Fallkonferenzen vorlegen")),
        "{items:#?}"
    );
    let action_marker = "id=\"aufgabe-";
    let aid = page
        .split(action_marker)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, _) = post(
        s,
        &format!("/aufgaben/{aid}/status"),
        &[
            ("revision", "1"),
            ("sitzung", "gibt-es-nicht"),
            ("status", "erledigt"),
        ],
    )
    .await;
    assert_eq!(
        status, 404,
        "a status change needs a meeting of the same Jobcenter"
    );
    let (status, _, _) = post(
        s,
        "/aufgaben/gibt-es-nicht/status",
        &[("revision", "1"), ("status", "erledigt")],
    )
    .await;
    assert_eq!(status, 404);
    let (status, url, page) = post(
        s,
        &format!("/aufgaben/{aid}/status"),
        &[
            ("revision", "1"),
            ("sitzung", m2.trim_start_matches("/sitzungen/")),
            ("status", "erledigt"),
            ("vermerk", "Konzept liegt vor"),
        ],
    )
    .await;
    assert_eq!((status, url.as_str()), (200, m2.as_str()));
    assert!(page.contains(
        "Konzept Fallkonferenzen vorlegen: <strong>erledigt</strong> (Konzept liegt vor)"
    ));
    let (_, list, _) = get(&s.url("/jobcenter/t36402/aufgaben")).await;
    assert!(list.contains("0 Aufgaben, davon 0 überfällig."));

    // Minutes: the first meeting as it left things (offen, frozen figure), the second with
    // the item done.
    let (status, ct, pdf) = bytes(&s.url(&format!("{m1}/niederschrift.pdf"))).await;
    assert_eq!((status, ct.as_str()), (200, "application/pdf"));
    let text = pdftotext(&pdf);
    for expected in [
        "Niederschrift: Zielnachhaltedialog am 12.10.2022",
        "Kommunaler Träger (Kreis Mettmann): Frau Kreis, Herr Sozialamt",
        "Wert: 18.592 (September 2022)",
        "Zuzüge aus der Ukraine.",
        "Steuerungsbedarf: ja",
        "Beschluss: Das Jobcenter legt ein Konzept für Fallkonferenzen vor.",
        "15.11.2022, offen",
    ] {
        assert!(
            text.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(expected),
            "{expected} fehlt in:\n{text}"
        );
    }
    let (_, _, pdf) = bytes(&s.url(&format!("{m2}/niederschrift.pdf"))).await;
    let text = pdftotext(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Stand der Aufgaben aus früheren Sitzungen"),
        "{text}"
    );
    assert!(text.contains("erledigt Konzept liegt vor"), "{text}");
    let (status, ct, docx) = bytes(&s.url(&format!("{m2}/niederschrift.docx"))).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/vnd.openxmlformats"));
    assert!(docx.starts_with(b"PK"), "a DOCX is a zip file");
    let (status, _, _) = bytes(&s.url(&format!("{m2}/niederschrift.odt"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn agenda_items_are_added_and_reordered() {
    agenda_editing(&demo_server().await).await;
}

pub async fn agenda_editing(s: &Server) {
    let (m, page) = new_meeting(s, "controllinggespraech", "2022-10-20", "2022-09").await;
    let before = agenda(&page);
    let (status, _, page) = post(
        s,
        &format!("{m}/tagesordnung"),
        &[("titel", "Bericht der Geschäftsführung")],
    )
    .await;
    assert_eq!(status, 200);
    let after = agenda(&page);
    assert_eq!(after.last().unwrap(), "Bericht der Geschäftsführung");
    let (_, list, _) = get(&s.url(&format!("{METTMANN}/sitzungen"))).await;
    assert!(list.contains("<td>18 Tagesordnungspunkte</td>"), "{list}");
    let id = page
        .split("TOP 18: Bericht der Geschäftsführung")
        .nth(1)
        .unwrap()
        .split("/tagesordnung/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let (status, _, page) = post(
        s,
        &format!("{m}/tagesordnung/{id}/verschieben"),
        &[("richtung", "hoch")],
    )
    .await;
    assert_eq!(status, 200);
    let moved = agenda(&page);
    assert_eq!(moved[16], "Bericht der Geschäftsführung");
    assert_eq!(moved[17], before[16]);
    let (status, _, _) = post(
        s,
        &format!("{m}/tagesordnung/{id}/verschieben"),
        &[("richtung", "seitwärts")],
    )
    .await;
    assert_eq!(status, 400);
    // A free meeting needs a title; a month outside the agreement year is refused.
    let (status, _, page) = post(
        s,
        &format!("{METTMANN}/sitzungen"),
        &[
            ("art", "frei"),
            ("datum", "2022-10-20"),
            ("monat", "2023-01"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("Feld „Bezeichnung“"), "{page}");
    assert!(page.contains("Januar 2023 liegt nicht im Vereinbarungsjahr 2022"));
    let (status, _, _) = get(&s.url("/sitzungen/gibt-es-nicht")).await;
    assert_eq!(status, 404);

    // The header is edited with a revision; the reporting month stays; a stale edit conflicts.
    let edit = |revision: &'static str, place: &'static str| {
        vec![
            ("revision", revision),
            ("art", "controllinggespraech"),
            ("datum", "2022-10-21"),
            ("monat", "2022-01"),
            ("ort", place),
            ("teilnehmende_agentur", "Frau Agentur"),
        ]
    };
    let (status, _, page) = post(s, &m, &edit("1", "Jobcenter, Raum 2")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Controllinggespräch am 21.10.2022</h1>"));
    assert!(page.contains("Berichtsmonat September 2022 · 21.10.2022 · Jobcenter, Raum 2"));
    assert!(page.contains("<dt>Agentur für Arbeit</dt><dd>Frau Agentur</dd>"));
    let (status, _, page) = post(s, &m, &edit("1", "anderswo")).await;
    assert_eq!(status, 409);
    assert!(page.contains("inzwischen von jemand anderem geändert"));
}

#[tokio::test]
async fn comments_explain_values_in_chart_and_report_and_make_the_report_final() {
    comments_and_final_report(&demo_server().await).await;
}

pub async fn comments_and_final_report(s: &Server) {
    let monitoring = s.url(&format!("{METTMANN}/monitoring?stand=2022-09"));
    let (_, report, _) = get(&monitoring).await;
    assert!(report.contains("Fassung: intern, Entwurf"));
    let (status, _, _) = bytes(&s.url(&format!(
        "{METTMANN}/monitoring.pdf?stand=2022-09&endgueltig=1"
    )))
    .await;
    assert_eq!(
        status, 400,
        "no final version while explanations are missing"
    );
    // Every goal verfehlt links to its goal page, where a comment explains the value.
    let missing: Vec<String> = report
        .split("<div class=\"notice warning\"")
        .nth(1)
        .unwrap()
        .split("</div>")
        .next()
        .unwrap()
        .split("href=\"")
        .skip(1)
        .map(|h| h.split('#').next().unwrap().to_owned())
        .collect();
    assert_eq!(missing.len(), 5, "{missing:?}");
    for goal in &missing {
        let (status, url, page) = post(
            s,
            &format!("{goal}/anmerkungen"),
            &[
                ("monat", "2022-09"),
                ("text", "Sondereffekt Umzug der Leistungsabteilung"),
                ("autor", "Controlling"),
            ],
        )
        .await;
        assert_eq!((status, url.as_str()), (200, goal.as_str()));
        assert!(
            page.contains(
                "September 2022: Sondereffekt Umzug der Leistungsabteilung (Controlling)"
            )
        );
    }
    // The chart carries the numbered marker and says so in its text alternative.
    let (_, page, _) = get(&s.url(&format!("{}?stand=2022-09", missing[0]))).await;
    assert!(page.contains("<g class=\"notes\">"));
    assert!(page.contains("Anmerkung 1: September 2022: Sondereffekt"));
    assert!(page.contains("<a href=\"#anmerkungen\">Anm. 1</a>"));
    let (_, report, _) = get(&monitoring).await;
    assert!(report.contains("Fassung: intern, endgültig"));
    assert!(report.contains(
        "Anmerkung 1: September 2022: Sondereffekt Umzug der Leistungsabteilung (Controlling)"
    ));
    let (status, _, pdf) = bytes(&s.url(&format!(
        "{METTMANN}/monitoring.pdf?stand=2022-09&endgueltig=1"
    )))
    .await;
    assert_eq!(status, 200);
    let text = pdftotext(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Fassung: endgültig"), "{text}");
    assert!(text.contains("Sondereffekt Umzug der Leistungsabteilung"));
    // Bad comments are refused with the field named; hostile text is escaped.
    let (status, _, page) = post(
        s,
        &format!("{}/anmerkungen", missing[0]),
        &[("monat", "2021-09"), ("text", " ")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("Feld „Erläuterung zum Wert“: bitte einen Text eingeben"));
    assert!(page.contains("Feld „Monat“: September 2021 liegt nicht im Vereinbarungsjahr 2022"));
    let (_, _, page) = post(
        s,
        &format!("{}/anmerkungen", missing[0]),
        &[("monat", "2022-08"), ("text", "<script>alert(1)</script>")],
    )
    .await;
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&lt;script&gt;alert(1)") || page.contains("&#60;script&#62;alert(1)"));
}

#[tokio::test]
async fn hostile_text_in_meetings_is_shown_as_text_everywhere() {
    hostile_text(&demo_server().await).await;
}

/// Names, titles and texts with markup (HTML and typst) come back as text: escaped on the
/// pages, literal in the minutes PDF.
pub async fn hostile_text(s: &Server) {
    let evil = "<script>alert('x')</script> #set text(red) ]";
    let (status, m, page) = post(
        s,
        &format!("{METTMANN}/sitzungen"),
        &[
            ("art", "frei"),
            ("bezeichnung", evil),
            ("datum", "2022-10-20"),
            ("monat", "2022-09"),
            ("ort", evil),
            ("teilnehmende_kreis", evil),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let (_, _, page) = post(s, &format!("{m}/tagesordnung"), &[("titel", evil)]).await;
    let item = crate::form_value(&page, "top").to_owned();
    let (status, _, page) = post(
        s,
        &format!("{m}/beschluesse"),
        &[
            ("top", &item),
            ("beschluss", evil),
            ("aufgabe", evil),
            ("partei", "kreis"),
            ("person", evil),
            ("faellig", "2022-11-30"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    for page in [page, get(&s.url("/jobcenter/t36402/aufgaben")).await.1] {
        assert!(!page.contains("<script>alert"), "markup got through");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
                || page.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"),
            "escaped text is shown"
        );
    }
    let (status, _, pdf) = bytes(&s.url(&format!("{m}/niederschrift.pdf"))).await;
    assert_eq!(status, 200);
    let text = pdftotext(&pdf);
    assert!(
        text.contains("<script>alert('x')</script> #set text(red) ]"),
        "{text}"
    );
}
