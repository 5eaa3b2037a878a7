//! The standing attack harness: mutation fuzzing of every parser and of the web's form and query
//! decoding, on the stable toolchain.
//!
//! cargo-fuzz needs a nightly toolchain, which cannot be installed here, so the engine is
//! proptest: each target has seeds (real files where they exist, the shipped examples, generated
//! workbooks) and a dictionary of tokens that matter to its format; a case is a seed with one to
//! eight mutations (bit flips, inserted, deleted, repeated or spliced ranges, dictionary tokens,
//! truncation). Cases run in batches of a fixed seed each, until the time given is up, so every
//! finding can be reproduced from the base seed printed, and proptest shrinks a failing case to a
//! small one before it is reported. It is not coverage-guided: what it finds, it finds by volume
//! and by the seeds' shape.
//!
//! A case fails when the code under test panics, takes longer than the limit, or answers bad
//! input in a way a user cannot act on: a message that is not German, that names no place
//! (file and row, line and column, field), or that is unboundedly long; for the web, any 5xx.

pub mod targets;
pub mod web;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

/// One fuzz target: a parser (or a front door) with its seeds, dictionary and oracle.
pub trait Target: Sync {
    /// The name on the command line.
    fn name(&self) -> &'static str;
    /// What it reads, in German, for the report.
    fn what(&self) -> &'static str;
    /// Inputs that are valid or nearly so; mutations start from these.
    fn seeds(&self) -> Vec<Vec<u8>>;
    /// Tokens that matter to the format, inserted by mutations.
    fn dictionary(&self) -> Vec<Vec<u8>>;
    /// Runs one input; `Err` says what is wrong with the answer (a panic is caught outside).
    fn check(&self, input: &[u8]) -> Result<(), String>;
}

/// One change to an input. Positions are fractions of the current length, so a mutation means
/// something for any input.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip {
        at: f64,
        bit: u8,
    },
    Insert {
        at: f64,
        bytes: Vec<u8>,
    },
    Token {
        at: f64,
        token: usize,
    },
    Delete {
        at: f64,
        len: usize,
    },
    Repeat {
        at: f64,
        len: usize,
        times: usize,
    },
    Splice {
        at: f64,
        seed: usize,
        from: f64,
        len: usize,
    },
    Truncate {
        at: f64,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        3 => (at.clone(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        2 => (at.clone(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        4 => (at.clone(), any::<usize>()).prop_map(|(at, token)| Mutation::Token { at, token }),
        2 => (at.clone(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (at.clone(), 1usize..64, 2usize..200)
            .prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
        1 => (at.clone(), any::<usize>(), 0.0..1.0f64, 1usize..256)
            .prop_map(|(at, seed, from, len)| Mutation::Splice { at, seed, from, len }),
        1 => at.prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn index(at: f64, len: usize) -> usize {
    ((at * len as f64) as usize).min(len)
}

/// `seed` with `mutations` applied in order; `seeds` and `dictionary` for splices and tokens.
pub fn apply(
    seed: &[u8],
    mutations: &[Mutation],
    seeds: &[Vec<u8>],
    dictionary: &[Vec<u8>],
) -> Vec<u8> {
    let mut v = seed.to_vec();
    for m in mutations {
        match m {
            Mutation::Flip { at, bit } => {
                if !v.is_empty() {
                    let i = index(*at, v.len() - 1);
                    v[i] ^= 1 << bit;
                }
            }
            Mutation::Insert { at, bytes } => {
                let i = index(*at, v.len());
                v.splice(i..i, bytes.iter().copied());
            }
            Mutation::Token { at, token } => {
                if !dictionary.is_empty() {
                    let t = &dictionary[token % dictionary.len()];
                    let i = index(*at, v.len());
                    v.splice(i..i, t.iter().copied());
                }
            }
            Mutation::Delete { at, len } => {
                let i = index(*at, v.len());
                let j = (i + len).min(v.len());
                v.drain(i..j);
            }
            Mutation::Repeat { at, len, times } => {
                let i = index(*at, v.len());
                let j = (i + len).min(v.len());
                let chunk: Vec<u8> = v[i..j].to_vec();
                let copies: Vec<u8> = chunk
                    .iter()
                    .copied()
                    .cycle()
                    .take(chunk.len() * times)
                    .collect();
                v.splice(j..j, copies);
            }
            Mutation::Splice {
                at,
                seed,
                from,
                len,
            } => {
                if !seeds.is_empty() {
                    let other = &seeds[seed % seeds.len()];
                    let a = index(*from, other.len());
                    let b = (a + len).min(other.len());
                    let i = index(*at, v.len());
                    v.splice(i..i, other[a..b].iter().copied());
                }
            }
            Mutation::Truncate { at } => {
                let i = index(*at, v.len());
                v.truncate(i);
            }
        }
        // Inputs stay below a megabyte: the limits of large inputs have their own tests.
        v.truncate(1 << 20);
    }
    v
}

/// What a run of one target found.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: u64,
    pub elapsed: Duration,
    /// Each distinct failure once: what was wrong and the smallest input found for it.
    pub findings: Vec<(String, Vec<u8>)>,
}

/// How long one case may take before it counts as a finding.
pub const CASE_LIMIT: Duration = Duration::from_secs(5);

/// Runs `target` for `time`, in batches seeded from `base_seed`.
pub fn run(target: &dyn Target, time: Duration, base_seed: u64) -> Report {
    let seeds = target.seeds();
    let dictionary = target.dictionary();
    assert!(!seeds.is_empty(), "{}: keine Startwerte", target.name());
    let strategy = {
        let (seeds, dictionary) = (seeds.clone(), dictionary.clone());
        (0..seeds.len(), prop::collection::vec(mutation(), 1..8))
            .prop_map(move |(i, ms)| apply(&seeds[i], &ms, &seeds, &dictionary))
    };
    let cases = AtomicU64::new(0);
    let findings: Mutex<Vec<(String, Vec<u8>)>> = Mutex::default();
    let started = Instant::now();
    // The seeds themselves first: they must all pass.
    for seed in &seeds {
        cases.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = one_case(target, seed) {
            findings
                .lock()
                .unwrap()
                .push((format!("Startwert: {e}"), seed.clone()));
        }
    }
    let mut batch = 0u64;
    while started.elapsed() < time {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&base_seed.to_le_bytes());
        seed[8..16].copy_from_slice(&batch.to_le_bytes());
        let config = Config {
            cases: 64,
            failure_persistence: None,
            max_shrink_iters: 512,
            max_shrink_time: 20_000,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let result = runner.run(&strategy, |input| {
            cases.fetch_add(1, Ordering::Relaxed);
            one_case(target, &input).map_err(TestCaseError::fail)
        });
        if let Err(TestError::Fail(reason, input)) = result {
            let reason = reason.message().to_owned();
            let mut f = findings.lock().unwrap();
            // One entry per kind of failure: the text up to the first quoted value.
            let kind = |r: &str| r.split('„').next().unwrap_or(r).to_owned();
            if !f.iter().any(|(r, _)| kind(r) == kind(&reason)) {
                f.push((reason, input));
            }
            if f.len() >= 20 {
                break;
            }
        }
        batch += 1;
    }
    Report {
        cases: cases.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        findings: findings.into_inner().unwrap(),
    }
}

/// One input through `target`, with a panic and the time limit turned into a finding.
fn one_case(target: &dyn Target, input: &[u8]) -> Result<(), String> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| target.check(input)));
    let took = started.elapsed();
    match outcome {
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            Err(format!("Absturz (panic): {text}"))
        }
        Ok(_) if took > CASE_LIMIT => Err(format!(
            "zu langsam: {:.1} s für {} Bytes",
            took.as_secs_f64(),
            input.len()
        )),
        Ok(r) => r,
    }
}

/// English words that no German message of Zielwerk contains outside a quoted value.
const ENGLISH: [&str; 23] = [
    "expected",
    "invalid",
    "error",
    "found",
    "missing",
    "unexpected",
    "failed",
    "the",
    "not",
    "cannot",
    "unknown",
    "duplicate",
    "key",
    "value",
    "line",
    "column",
    "stream",
    "valid",
    "detect",
    "worksheet",
    "request",
    "parsing",
    "deserialize",
];

/// The message with quoted values („…“, "…", `…`) removed: those repeat the user's input.
fn unquoted(message: &str) -> String {
    let mut out = String::new();
    let mut closing: Option<char> = None;
    for c in message.chars() {
        match closing {
            Some(end) if c == end => closing = None,
            Some(_) => {}
            None => match c {
                '„' => closing = Some('“'),
                '"' => closing = Some('"'),
                '`' => closing = Some('`'),
                _ => out.push(c),
            },
        }
    }
    out
}

/// `Err` naming the English word when `message` (outside its quoted values) is not German.
pub fn german(message: &str) -> Result<(), String> {
    let text = unquoted(message).to_lowercase();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if ENGLISH.contains(&word) {
            return Err(format!("nicht deutsch („{word}“): {}", shorten(message)));
        }
    }
    Ok(())
}

/// At most 300 characters of `s`, for reports.
pub fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(300).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// The input as a short printable text for reports.
pub fn printable(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(input);
    shorten(&text.escape_debug().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oracle_tells_german_from_english_and_ignores_quoted_values() {
        assert!(german("Zeile 3, Spalte „wert“: erwartet wird eine Zahl").is_ok());
        assert!(german("Wert „the invalid value“ ist keine Zahl").is_ok());
        assert!(german("key with no value, expected `=`").is_err());
        assert!(german("Failed to deserialize query string").is_err());
        assert!(german("stream did not contain valid UTF-8").is_err());
    }

    #[test]
    fn mutations_stay_in_bounds_for_any_input() {
        let seeds = vec![b"abc".to_vec(), Vec::new()];
        let dict = vec![b";".to_vec()];
        let all = [
            Mutation::Flip { at: 0.99, bit: 7 },
            Mutation::Insert {
                at: 1.0,
                bytes: vec![1, 2],
            },
            Mutation::Token {
                at: 0.5,
                token: usize::MAX,
            },
            Mutation::Delete { at: 0.9, len: 63 },
            Mutation::Repeat {
                at: 0.0,
                len: 2,
                times: 3,
            },
            Mutation::Splice {
                at: 0.3,
                seed: 7,
                from: 0.99,
                len: 255,
            },
            Mutation::Truncate { at: 0.0 },
        ];
        for seed in &seeds {
            for m in &all {
                apply(seed, std::slice::from_ref(m), &seeds, &dict);
            }
            assert!(apply(seed, &all, &seeds, &dict).len() < 1 << 20);
        }
        assert_eq!(
            apply(
                b"ab",
                &[Mutation::Repeat {
                    at: 0.0,
                    len: 2,
                    times: 2
                }],
                &seeds,
                &dict
            ),
            b"ababab"
        );
    }

    /// A target that panics on one byte is caught, and shrunk to that byte.
    #[test]
    fn a_panic_is_found_and_shrunk() {
        struct Fragile;
        impl Target for Fragile {
            fn name(&self) -> &'static str {
                "zerbrechlich"
            }
            fn what(&self) -> &'static str {
                "ein Test"
            }
            fn seeds(&self) -> Vec<Vec<u8>> {
                vec![b"aaaaaaaaaaaaaaaa".to_vec()]
            }
            fn dictionary(&self) -> Vec<Vec<u8>> {
                vec![b"!".to_vec()]
            }
            fn check(&self, input: &[u8]) -> Result<(), String> {
                assert!(!input.contains(&b'!'), "Ausrufezeichen");
                Ok(())
            }
        }
        std::panic::set_hook(Box::new(|_| {}));
        let report = run(&Fragile, Duration::from_secs(2), 1);
        let _ = std::panic::take_hook();
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        assert!(report.findings[0].0.contains("Ausrufezeichen"));
        assert_eq!(
            report.findings[0].1.len(),
            17,
            "shrunk to the seed and one mark"
        );
    }
}
