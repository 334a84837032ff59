//! Extraction speed on 20,000 generated commit messages (`corpus`, seed 1), one criterion
//! group per question:
//!
//! - `default_pattern`: every key of the messages joined into one text, through the
//!   hand-written scanner (`scanner`), through the matcher's regex path with the same pattern
//!   (`regex_path`, an empty prefix), and through the bare `regex` crate with the pattern
//!   alone (`regex_crate`, no CVE or validity checks) as the yardstick the scanner replaces.
//! - `per_message`: what the product does per commit: `Matcher::keys` and the whole
//!   `extract` (keys, closing words, Smart Commits) on each message.
//!
//! The comparison with `grep` over a million messages is `examples/corpus_bench.rs`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regex::Regex;
use tether_refs::{MatchSettings, Matcher, extract};

mod corpus;

const MESSAGES: usize = 20_000;

fn default_pattern(c: &mut Criterion) {
    let text = corpus::messages(1, MESSAGES).join("\n");
    let scanner = Matcher::default();
    let regex_path =
        Matcher::new(&MatchSettings { key_prefix: Some("(?:)".into()), ..Default::default() })
            .expect("valid settings");
    let bare = Regex::new(r"(?-u:\b)[A-Z][A-Z_0-9]+-[0-9]+").expect("valid regex");
    let mut group = c.benchmark_group("default_pattern");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("scanner", |b| b.iter(|| scanner.find_iter(black_box(&text)).count()));
    group.bench_function("regex_path", |b| {
        b.iter(|| regex_path.find_iter(black_box(&text)).count())
    });
    group.bench_function("regex_crate", |b| b.iter(|| bare.find_iter(black_box(&text)).count()));
    group.finish();
}

fn per_message(c: &mut Criterion) {
    let messages = corpus::messages(1, MESSAGES);
    let bytes: usize = messages.iter().map(String::len).sum();
    let matcher = Matcher::default();
    let mut group = c.benchmark_group("per_message");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("keys", |b| {
        b.iter(|| messages.iter().map(|m| matcher.keys(black_box(m)).len()).sum::<usize>())
    });
    group.bench_function("extract", |b| {
        b.iter(|| {
            messages.iter().map(|m| extract(black_box(m), &matcher).keys.len()).sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, default_pattern, per_message);
criterion_main!(benches);
