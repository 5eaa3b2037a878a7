//! A small cache of rendered pages, keyed by the session and the request and checked against the
//! store's data version.
//!
//! Every page is a pure function of the stored data, the request and the session (its roles
//! decide which links and forms appear, and every form carries its CSRF token), so a page rendered at data
//! version *v* stays right until the version moves. One cheap query per request (the version)
//! replaces loading and assessing a whole agreement. Writes from other processes (a command-line
//! import into the same database) move the version too, so nothing stale is served.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Entries beyond this are dropped wholesale; real use has a few dozen distinct pages.
const MAX_ENTRIES: usize = 512;

#[derive(Debug, Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, (i64, Bytes)>>,
}

impl PageCache {
    pub fn get(&self, key: &str, version: i64) -> Option<Bytes> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, body)| body.clone())
    }

    pub fn put(&self, key: String, version: i64, body: Bytes) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (v, _)| *v == version);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (version, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_versions_miss() {
        let c = PageCache::default();
        c.put("a".into(), 1, Bytes::from_static(b"x"));
        assert_eq!(c.get("a", 1).as_deref(), Some(&b"x"[..]));
        assert!(c.get("a", 2).is_none());
        assert!(c.get("b", 1).is_none());
    }

    #[test]
    fn bounded() {
        let c = PageCache::default();
        for i in 0..(MAX_ENTRIES + 10) {
            c.put(i.to_string(), 1, Bytes::new());
        }
        assert!(c.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
