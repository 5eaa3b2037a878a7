//! A small cache of rendered pages, keyed by the session and the request and checked against the
//! store's data version.
//!
//! Every page is a pure function of the stored data, the request and the session (its roles
//! decide which links and forms appear, and every form carries its CSRF token), so a page rendered at data
//! version *v* stays right until the version moves. One cheap query per request (the version)
//! replaces loading and assessing a whole agreement. Writes from other processes (a command-line
//! import into the same database) move the version too, so nothing stale is served.
//!
//! A page is compressed once, when it is kept: a hit sends the stored gzip body to a client that
//! accepts it (every browser), instead of compressing the same page again on every request.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;

/// Entries kept at most; real use has a few dozen distinct pages per session.
const MAX_ENTRIES: usize = 512;
/// Bytes all cached pages together may hold (a goal page with its charts is about 100 KB): the
/// cache must not be what makes a server grow under many sessions.
const MAX_BYTES: usize = 48 * 1024 * 1024;

#[derive(Debug, Default)]
pub struct PageCache {
    inner: Mutex<Inner>,
}

/// A rendered page as kept: its body and the same body gzip-compressed.
#[derive(Debug, Clone)]
pub struct Page {
    pub body: Bytes,
    pub gzip: Bytes,
}

impl Page {
    /// Compresses `body` once.
    pub fn new(body: Bytes) -> Self {
        use std::io::Write;
        // The fastest level: a page is compressed on the request that renders it, and level 6
        // took a quarter of that request's time to save an eighth of the bytes.
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        let gzip = gz
            .write_all(&body)
            .and_then(|()| gz.finish())
            .map(Bytes::from)
            .unwrap_or_default();
        Self { body, gzip }
    }

    fn len(&self) -> usize {
        self.body.len() + self.gzip.len()
    }
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, (i64, Page)>,
    /// Keys in the order they were put, oldest first (a key put again moves to the end).
    order: VecDeque<String>,
    bytes: usize,
}

impl Inner {
    fn remove(&mut self, key: &str) {
        if let Some((_, page)) = self.entries.remove(key) {
            self.bytes -= page.len();
            self.order.retain(|k| k != key);
        }
    }
}

impl PageCache {
    pub fn get(&self, key: &str, version: i64) -> Option<Page> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .entries
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, page)| page.clone())
    }

    /// Keeps `body` for `key` at `version`. Pages of older versions go first, then the oldest
    /// pages, until the cache is within its entries and bytes; a page larger than a quarter of
    /// the budget is not kept.
    pub fn put(&self, key: String, version: i64, body: Page) {
        if body.len() > MAX_BYTES / 4 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.remove(&key);
        let full = |i: &Inner| i.entries.len() >= MAX_ENTRIES || i.bytes + body.len() > MAX_BYTES;
        if full(&inner) {
            let stale: Vec<String> = inner
                .entries
                .iter()
                .filter(|(_, (v, _))| *v != version)
                .map(|(k, _)| k.clone())
                .collect();
            for k in stale {
                inner.remove(&k);
            }
        }
        while full(&inner) {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, b)) = inner.entries.remove(&oldest) {
                inner.bytes -= b.len();
            }
        }
        inner.bytes += body.len();
        inner.order.push_back(key.clone());
        inner.entries.insert(key, (version, body));
    }

    /// Pages and bytes held.
    #[cfg(test)]
    fn size(&self) -> (usize, usize) {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (inner.entries.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(bytes: Vec<u8>) -> Page {
        Page {
            body: Bytes::from(bytes),
            gzip: Bytes::new(),
        }
    }

    #[test]
    fn a_page_is_compressed_once_and_decompresses_to_itself() {
        use std::io::Read;
        let html = "<p>Ziel im Plan</p>".repeat(500);
        let p = Page::new(Bytes::from(html.clone()));
        assert!(p.gzip.len() < html.len() / 10, "{}", p.gzip.len());
        let mut back = String::new();
        flate2::read::GzDecoder::new(&p.gzip[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, html);
    }

    #[test]
    fn stale_versions_miss() {
        let c = PageCache::default();
        c.put("a".into(), 1, page(b"x".to_vec()));
        assert_eq!(c.get("a", 1).map(|p| p.body).as_deref(), Some(&b"x"[..]));
        assert!(c.get("a", 2).is_none());
        assert!(c.get("b", 1).is_none());
    }

    #[test]
    fn bounded_in_entries_and_bytes_oldest_first() {
        let c = PageCache::default();
        for i in 0..(MAX_ENTRIES + 10) {
            c.put(i.to_string(), 1, page(Vec::new()));
        }
        assert_eq!(c.size().0, MAX_ENTRIES);
        assert!(c.get("0", 1).is_none(), "the oldest went first");
        assert!(c.get(&(MAX_ENTRIES + 9).to_string(), 1).is_some());

        let c = PageCache::default();
        let mb = page(vec![b'x'; 1024 * 1024]);
        for i in 0..100 {
            c.put(format!("p{i}"), 1, mb.clone());
        }
        let (n, bytes) = c.size();
        assert!(bytes <= MAX_BYTES, "{bytes}");
        assert_eq!(n, MAX_BYTES / mb.len());
        assert!(c.get("p99", 1).is_some() && c.get("p0", 1).is_none());
        c.put("p99".into(), 2, mb.clone());
        assert_eq!(c.size().0, n, "a key put again replaces its page");
        c.put("riesig".into(), 2, page(vec![0; MAX_BYTES]));
        assert!(c.get("riesig", 2).is_none(), "a huge page is not kept");
    }
}
