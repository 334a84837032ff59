//! Parsing speed on a mix of typical queries (`cargo bench -p tether-jql`); the target
//! is 100,000 queries a second on one core. Criterion reports the rate as elements per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tether_jql::catalogue::FieldCatalogue;
use tether_jql::functions::FunctionCatalogue;
use tether_jql::validate::validate;
use tether_jql::{parse, print::to_jql};

/// What people type and what tether builds: filters, text search, functions, history.
const TYPICAL: &[&str] = &[
    "project = ABC AND statusCategory != Done AND assignee = currentUser() ORDER BY created DESC",
    "project in (\"A\",\"B\") AND labels = \"x\" AND labels = \"y\" AND status = \"In Progress\" AND reporter = \"jane\" AND assignee = \"joe\" AND statusCategory != Done AND (summary ~ \"login error\" OR description ~ \"login error\") ORDER BY created DESC",
    "assignee = currentUser() AND resolution = Unresolved ORDER BY priority DESC, updated DESC",
    "project = WEB AND issuetype = Bug AND priority in (Highest, High) AND created >= -14d",
    "sprint in openSprints() AND project = ABC ORDER BY Rank ASC",
    "status WAS \"In Progress\" BY jsmith DURING (\"2024/01/01\", \"2024/02/01\") AND updated > startOfMonth(-1)",
    "status CHANGED FROM \"In Progress\" TO Done AFTER -1w",
    "flag = \"new-checkout\" AND flagState[production] = enabled",
    "text ~ \"payment failed\" AND created > \"2024/01/31 10:15\" AND fixVersion in unreleasedVersions(ABC)",
    "updated >= 1706695200000 ORDER BY created ASC",
];

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(TYPICAL.len() as u64));
    group.bench_function("typical queries", |b| {
        b.iter(|| {
            for jql in TYPICAL {
                let _ = black_box(parse(black_box(jql)));
            }
        })
    });
    let fields = FieldCatalogue::tether();
    let functions = FunctionCatalogue::jira();
    let parsed: Vec<_> = TYPICAL.iter().map(|q| parse(q).expect("typical queries parse")).collect();
    group.bench_function("validate typical queries", |b| {
        b.iter(|| {
            for query in &parsed {
                black_box(validate(black_box(query), &fields, &functions));
            }
        })
    });
    group.bench_function("print typical queries", |b| {
        b.iter(|| {
            for query in &parsed {
                black_box(to_jql(black_box(query)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parsing);
criterion_main!(benches);
