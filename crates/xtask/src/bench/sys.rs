//! What Linux says about processes and the machine: a process's resident memory (`VmRSS`),
//! the CPU time of the server, of this load generator and of the whole machine, from `/proc`.

use std::time::Instant;

/// A process's resident set size in KiB, from `/proc/PID/status`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time of a process (`self` or a PID), in clock ticks.
fn process_ticks(who: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{who}/stat")).ok()?;
    // The command name, in parentheses, may contain spaces: fields are counted after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields; `rest` starts at the 3rd.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// (busy, total) clock ticks of all CPUs together, from `/proc/stat`.
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// CPU counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    at: Instant,
    server: u64,
    generator: u64,
    busy: u64,
    total: u64,
}

/// CPU used between two samples, in cores (1.0 = one core busy all the time).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    pub server: f64,
    pub generator: f64,
    /// Everything else on the machine (other processes, interrupts).
    pub other: f64,
}

impl CpuSample {
    /// The counters now, the server's being the sum over `server_pids`.
    pub fn take(server_pids: &[u32]) -> CpuSample {
        let (busy, total) = machine_ticks().unwrap_or((0, 0));
        CpuSample {
            at: Instant::now(),
            server: server_pids
                .iter()
                .map(|pid| process_ticks(&pid.to_string()).unwrap_or(0))
                .sum(),
            generator: process_ticks("self").unwrap_or(0),
            busy,
            total,
        }
    }

    /// What was used from `self` until `later`.
    pub fn until(&self, later: &CpuSample) -> CpuUse {
        let hz = rustix::param::clock_ticks_per_second() as f64;
        let secs = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let per_sec = |a: u64, b: u64| b.saturating_sub(a) as f64 / hz / secs;
        let server = per_sec(self.server, later.server);
        let generator = per_sec(self.generator, later.generator);
        let total = later.total.saturating_sub(self.total) as f64;
        let machine = if total > 0.0 {
            later.busy.saturating_sub(self.busy) as f64 / total * cores
        } else {
            0.0
        };
        CpuUse { server, generator, other: (machine - server - generator).max(0.0) }
    }
}

/// The machine's load average over the last minute, from `/proc/loadavg`: how busy the
/// shared machine was besides the figures measured.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// The CPU model, for the report.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

/// A least-squares line through `(x, y)` points: its slope, or 0 for fewer than two.
pub fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 { 0.0 } else { sxy / sxx }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_fits_a_line() {
        assert_eq!(slope(&[]), 0.0);
        assert_eq!(slope(&[(1.0, 5.0)]), 0.0);
        assert!((slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]) - 2.0).abs() < 1e-12);
        assert!((slope(&[(0.0, 10.0), (1.0, 10.0), (2.0, 10.0)])).abs() < 1e-12);
    }

    #[test]
    fn this_process_is_measurable() {
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
        assert!(process_ticks("self").is_some());
        assert!(load_average().is_some_and(|l| l >= 0.0));
        assert!(machine_ticks().is_some_and(|(busy, total)| busy <= total && total > 0));
    }
}
