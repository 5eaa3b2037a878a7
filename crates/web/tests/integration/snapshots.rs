//! The markup of the central pages, as snapshots (insta): a change to what a page says or how
//! it is structured shows as a reviewed diff, not as a substring that happens to stay. The
//! demo's figures are fixed by its seed; what changes from run to run (the session's CSRF
//! token, generated ids, today's date) is replaced by a placeholder first.

use super::*;

/// `text` with the values that differ between runs replaced: the CSRF token, UUIDs, and dates
/// and times of today.
fn stable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let marker = "name=\"_csrf\" value=\"";
    while let Some(i) = rest.find(marker) {
        out.push_str(&rest[..i + marker.len()]);
        rest = &rest[i + marker.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.push_str("[csrf]");
        rest = &rest[end..];
    }
    out.push_str(rest);
    let today = chrono::Local::now().date_naive();
    let out = out
        .replace(&today.format("%d.%m.%Y").to_string(), "[heute]")
        .replace(&today.format("%Y-%m-%d").to_string(), "[heute]");
    times_replaced(&uuids_replaced(&out))
}

/// Replaces every clock time (`um 18:40 Uhr`) with `um [Uhrzeit] Uhr`.
fn times_replaced(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("um ") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let b = after.as_bytes();
        let is_time = b.len() >= 9
            && b[..2].iter().all(u8::is_ascii_digit)
            && b[2] == b':'
            && b[3..5].iter().all(u8::is_ascii_digit)
            && &b[5..9] == b" Uhr";
        if is_time {
            out.push_str("[Uhrzeit]");
            rest = &after[5..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Replaces every UUID (8-4-4-4-12 hex digits) with `[id]`.
fn uuids_replaced(text: &str) -> String {
    let b = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    let len = 36;
    let is_uuid = |s: &[u8]| {
        let mut k = 0;
        for (n, group) in shape.iter().enumerate() {
            if n > 0 {
                if s[k] != b'-' {
                    return false;
                }
                k += 1;
            }
            if !s[k..k + group].iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            k += group;
        }
        true
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if i + len <= b.len() && text.is_char_boundary(i) && is_uuid(&b[i..i + len]) {
            out.push_str("[id]");
            i += len;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[test]
fn placeholders_replace_only_what_changes() {
    let page = r#"<input name="_csrf" value="abc123"> /sitzungen/01a23251-341d-75ae-88e1-d4de9585bac0#x 0123 berechnet um 18:40 Uhr, um 9 Uhr, um 12:3ä"#;
    assert_eq!(
        stable(page),
        r#"<input name="_csrf" value="[csrf]"> /sitzungen/[id]#x 0123 berechnet um [Uhrzeit] Uhr, um 9 Uhr, um 12:3ä"#
    );
}

#[tokio::test]
async fn the_overview_goal_and_meeting_pages() {
    let s = demo_server().await;
    let kreis = s.login("kreis").await;
    let (status, overview) = kreis
        .get(&s.url("/vereinbarungen/t36402-2022-v1?stand=2022-06"))
        .await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("overview", stable(&overview));
    let (status, goal) = kreis
        .get(&s.url("/vereinbarungen/t36402-2022-v1/ziele/k2?stand=2022-06"))
        .await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("goal", stable(&goal));

    // A meeting as the steering cycle makes it: created through its form, with the agenda the
    // figures give.
    let r = kreis
        .post(
            &s.url("/vereinbarungen/t36402-2022-v1/sitzungen"),
            &[
                ("art", "zielnachhaltedialog"),
                ("datum", "12.10.2022"),
                ("monat", "2022-09"),
                ("ort", "Kreishaus Mettmann"),
                ("teilnehmende_kreis", "Sozialamt, Controlling"),
                ("teilnehmende_agentur", "Vorsitz der Trägerversammlung"),
                ("teilnehmende_jobcenter", "Geschäftsführung"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let at = r.headers()["location"].to_str().unwrap().to_owned();
    let (status, meeting) = kreis.get(&s.url(&at)).await;
    assert_eq!(status, 200);
    insta::assert_snapshot!("meeting", stable(&meeting));
}

/// A cached page is sent compressed to a client that accepts gzip, and decompresses to the page
/// a client without compression gets; nothing else changes.
#[tokio::test]
async fn a_cached_page_is_compressed_once_and_the_same_page() {
    use std::io::Read;
    let s = demo_server().await;
    let kreis = s.login("kreis").await;
    let url = s.url("/vereinbarungen/t36402-2022-v1?stand=2022-06");
    let plain = kreis
        .client
        .get(&url)
        .header("accept-encoding", "identity")
        .send()
        .await
        .unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.text().await.unwrap();
    for _ in 0..2 {
        // The first request renders and keeps the page, the second is a hit.
        let r = kreis
            .client
            .get(&url)
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip");
        assert_eq!(r.headers()["vary"], "accept-encoding");
        let bytes = r.bytes().await.unwrap();
        let mut html = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut html)
            .unwrap();
        assert_eq!(stable(&html), stable(&plain));
        assert!(
            bytes.len() < plain.len() / 3,
            "{} of {}",
            bytes.len(),
            plain.len()
        );
    }
    // q=0 refuses gzip.
    let r = kreis
        .client
        .get(&url)
        .header("accept-encoding", "gzip;q=0")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("content-encoding").is_none());
}
