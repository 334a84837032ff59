//! The benchmark's summary as Markdown: throughput, latency percentiles, errors and CPU per
//! phase, judged against issue 4's targets, and the server's memory over the run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use serde_json::Value;
use tether_flags::{Context, Snapshot};

use super::load::PhaseResult;
use super::{OfrepArgs, seed, sys};

/// Issue 4's targets at 32 connections: (phase, requests per second); p99 under 5 ms.
const TARGETS: [(&str, f64); 2] = [("single", 50_000.0), ("bulk", 10_000.0)];
const P99_TARGET_MS: f64 = 5.0;

/// Everything the summary shows.
#[derive(Debug)]
pub struct Report<'a> {
    pub args: OfrepArgs,
    pub results: &'a [PhaseResult],
    /// The server's RSS in KiB, about every second.
    pub samples: &'a [(Instant, u64)],
    /// The server's RSS after the answer check, before the load.
    pub idle_rss: u64,
    /// Shares of the reasons over every (flag, context) pair.
    pub reasons: Vec<(&'static str, f64)>,
    /// How many evaluations were checked against local evaluation.
    pub compared: usize,
    /// With a peer: its answers compared with tether's, and those not compared (percentages).
    pub peer_checked: Option<(usize, usize)>,
}

/// How often each reason is served over all flags and contexts: the bulk phase's mix, and
/// close to the single phase's (which cycles through half of these pairs).
pub fn reason_mix(snapshot: &Snapshot, contexts: &[Value]) -> Vec<(&'static str, f64)> {
    let mut counts = BTreeMap::<&'static str, usize>::new();
    let mut total = 0;
    for ctx in contexts {
        let ctx = Context::from_value(ctx).expect("contexts are objects");
        for (_, eval) in snapshot.evaluate_all(&ctx) {
            *counts.entry(eval.reason.as_str()).or_default() += 1;
            total += 1;
        }
    }
    let mut mix: Vec<_> =
        counts.into_iter().map(|(r, n)| (r, n as f64 / total.max(1) as f64)).collect();
    mix.sort_by(|a, b| b.1.total_cmp(&a.1));
    mix
}

fn ms(nanos: u64) -> String {
    format!("{:.2} ms", nanos as f64 / 1e6)
}

/// An integer with thousands separators.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// A response's size, in bytes or KiB.
fn size(bytes: f64) -> String {
    if bytes >= 1024.0 { format!("{:.1} KiB", bytes / 1024.0) } else { format!("{bytes:.0} B") }
}

/// RSS statistics of the samples taken in `from..=to`: start, max, end, slope (KiB per
/// minute, least squares) and the slope over the second half.
fn memory_row(samples: &[(Instant, u64)], from: Instant, to: Instant) -> Option<[String; 5]> {
    let window: Vec<(f64, f64)> = samples
        .iter()
        .filter(|(t, _)| *t >= from && *t <= to)
        .map(|(t, kib)| (t.duration_since(from).as_secs_f64() / 60.0, *kib as f64))
        .collect();
    let first = window.first()?.1 as u64;
    let last = window.last()?.1 as u64;
    let max = window.iter().map(|p| p.1 as u64).max()?;
    let slope = |points: &[(f64, f64)]| {
        if points.len() < 3 {
            "–".to_owned()
        } else {
            format!("{:+.0} KiB/min", sys::slope(points))
        }
    };
    let half = &window[window.len() / 2..];
    Some([mib(first), mib(max), mib(last), slope(&window), slope(half)])
}

impl Report<'_> {
    pub fn markdown(&self) -> String {
        let a = &self.args;
        let mut s = String::new();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let _ = writeln!(s, "\n### OFREP load benchmark\n");
        let phase = format!("{:?}", a.phase).to_lowercase();
        let _ = writeln!(
            s,
            "`cargo xtask bench ofrep --connections {} --duration {} --warmup {} --phase {phase} \
             --client {} --threads {}{}`\n",
            a.connections,
            a.duration,
            a.warmup,
            format!("{:?}", a.client).to_lowercase(),
            a.threads,
            if a.peer.is_some() { " --peer unleash-edge" } else { "" }
        );
        let mix: Vec<String> =
            self.reasons.iter().map(|(r, share)| format!("{r} {:.0}%", share * 100.0)).collect();
        let _ = writeln!(
            s,
            "- tether (release) on SQLite: {} flags, {} contexts; reasons served: {}. \
             {} answers were checked against tether-flags first.",
            seed::FLAGS,
            seed::CONTEXTS,
            mix.join(", "),
            self.compared
        );
        if let Some((compared, skipped)) = self.peer_checked {
            let _ = writeln!(
                s,
                "- Unleash Edge (offline mode, frontend API, the same flags as Unleash features): \
                 {compared} of its answers named tether's variation; {skipped} percentage \
                 answers not compared (Unleash hashes differently)."
            );
        }
        let _ = writeln!(
            s,
            "- {} ({cores} cores), shared by the server and the load generator.",
            sys::cpu_model()
        );
        let _ = writeln!(
            s,
            "- load: {} keep-alive connections in closed loops, {} client on {} thread(s); \
             {} s warm-up, then {} s measured per phase. Latency is per request, from writing \
             it to reading its last byte (closed loops: no correction for coordinated omission).\n",
            a.connections,
            format!("{:?}", a.client).to_lowercase(),
            a.threads,
            a.warmup,
            a.duration
        );
        let _ = writeln!(
            s,
            "| phase | requests/s | flag evaluations/s | p50 | p90 | p99 | p99.9 | max | errors | \
             response | CPU: server | generator | other | CPU per request: server | generator |"
        );
        let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        let cpu_per_request = |r: &PhaseResult| r.cpu.server / r.per_second().max(1e-9) * 1e6;

        for r in self.results {
            let h = &r.latency;
            let per_request = if r.name.ends_with("bulk") { seed::FLAGS as f64 } else { 1.0 };
            let bytes = r.response_bytes as f64 / r.requests.max(1) as f64;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} cores | {:.2} | {:.2} | \
                 {:.1} µs | {:.1} µs |",
                r.name,
                thousands(r.per_second()),
                thousands(r.per_second() * per_request),
                ms(h.value_at_quantile(0.50)),
                ms(h.value_at_quantile(0.90)),
                ms(h.value_at_quantile(0.99)),
                ms(h.value_at_quantile(0.999)),
                ms(h.max()),
                r.errors,
                size(bytes),
                r.cpu.server,
                r.cpu.generator,
                r.cpu.other,
                cpu_per_request(r),
                r.cpu.generator / r.per_second().max(1e-9) * 1e6,
            );
        }
        let _ = writeln!(s);
        let floor = self.results.iter().find(|r| r.name == "floor");
        if let Some(floor) = floor {
            let _ = writeln!(
                s,
                "- floor: a minimal hyper server answering one of tether's single answers \
                 verbatim, under the single phase's load: {:.1} µs of server CPU per request.",
                cpu_per_request(floor)
            );
        }
        let bulk_floor = self.results.iter().find(|r| r.name == "bulk floor");
        if let Some(bulk_floor) = bulk_floor {
            let _ = writeln!(
                s,
                "- bulk floor: the same server answering one of tether's bulk answers verbatim \
                 ({}), under the bulk phase's load: {:.1} µs of server CPU per request.",
                size(bulk_floor.response_bytes as f64 / bulk_floor.requests.max(1) as f64),
                cpu_per_request(bulk_floor)
            );
        }
        for r in self.results.iter().filter(|r| !r.name.contains("floor")) {
            if let Some(floor) = floor {
                let times = cpu_per_request(r) / cpu_per_request(floor).max(1e-9);
                let goal = match r.name {
                    "single" => format!(
                        " (goal: at most 1.5×, {})",
                        if times <= 1.5 { "met" } else { "**missed**" }
                    ),
                    "bulk" => {
                        let over = bulk_floor.map_or(String::new(), |b| {
                            format!(
                                "; {:.1} µs over the bulk floor",
                                cpu_per_request(r) - cpu_per_request(b)
                            )
                        });
                        format!(
                            " (goal: at most 35 µs, {}){over}",
                            if cpu_per_request(r) <= 35.0 { "met" } else { "**missed**" }
                        )
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    s,
                    "- {}: {:.1} µs of server CPU per request, {times:.2}× the floor{goal}",
                    r.name,
                    cpu_per_request(r),
                );
            }
        }
        for (ours, theirs) in [("single", "edge single"), ("bulk", "edge bulk")] {
            let find = |name: &str| self.results.iter().find(|r| r.name == name);
            if let (Some(ours), Some(theirs)) = (find(ours), find(theirs)) {
                let times = cpu_per_request(theirs) / cpu_per_request(ours).max(1e-9);
                let _ = writeln!(
                    s,
                    "- {}: tether {:.1} µs of server CPU per request, Unleash Edge {:.1} µs: \
                     {times:.2}× less{}; {:.2}× the requests per second",
                    ours.name,
                    cpu_per_request(ours),
                    cpu_per_request(theirs),
                    if ours.name == "single" {
                        format!(
                            " (goal: at least 3×, {})",
                            if times >= 3.0 { "met" } else { "**missed**" }
                        )
                    } else {
                        String::new()
                    },
                    ours.per_second() / theirs.per_second().max(1e-9),
                );
            }
        }
        for r in self.results {
            let Some((_, target)) = TARGETS.iter().find(|(n, _)| *n == r.name) else { continue };
            let p99 = r.latency.value_at_quantile(0.99) as f64 / 1e6;
            let rate_ok = r.per_second() >= *target;
            let p99_ok = p99 < P99_TARGET_MS;
            let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
            let _ = writeln!(
                s,
                "- {}: target {}/s with p99 under {P99_TARGET_MS} ms at 32 connections: \
                 throughput {} ({:.0}% of it), p99 {}{}",
                r.name,
                thousands(*target),
                verdict(rate_ok),
                r.per_second() / target * 100.0,
                verdict(p99_ok),
                if r.connections == 32 { "" } else { " (this run used other than 32 connections)" }
            );
            if r.warmup_errors > 0 || !r.error_statuses.is_empty() {
                let _ = writeln!(
                    s,
                    "  - errors: {:?} (status 0 = broken connection); {} during the warm-up",
                    r.error_statuses, r.warmup_errors
                );
            }
        }
        let _ = writeln!(s);
        let _ =
            writeln!(s, "| server memory (VmRSS) | start | max | end | slope | slope, 2nd half |");
        let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|");
        let _ = writeln!(s, "| idle, after the answer check | {} | | | | |", mib(self.idle_rss));
        // The floor and the peer ran in processes of their own; the samples are tether's.
        for r in self.results.iter().filter(|r| r.name == "single" || r.name == "bulk") {
            if let Some(row) = memory_row(self.samples, r.started, r.ended) {
                let _ =
                    writeln!(s, "| {} ({} s) | {} |", r.name, r.window.as_secs(), row.join(" | "));
            }
        }
        if let (Some(first), Some(last)) = (self.samples.first(), self.samples.last())
            && let Some(row) = memory_row(self.samples, first.0, last.0)
        {
            let secs = last.0.duration_since(first.0).as_secs();
            let _ = writeln!(s, "| whole run ({secs} s) | {} |", row.join(" | "));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(ms(1_234_567), "1.23 ms");
        assert_eq!(mib(2048), "2.0 MiB");
    }

    #[test]
    fn memory_rows_cover_their_window() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // 1 MiB more every minute, sampled every 15 seconds for two minutes.
        let samples: Vec<(Instant, u64)> =
            (0..=120).step_by(15).map(|s| (at(s), 10_240 + s * 1024 / 60)).collect();
        let row = memory_row(&samples, at(60), at(120)).unwrap();
        assert_eq!(row[0], "11.0 MiB");
        assert_eq!(row[2], "12.0 MiB");
        assert_eq!(row[3], "+1024 KiB/min");
        assert!(memory_row(&samples, at(200), at(300)).is_none());
    }
}
