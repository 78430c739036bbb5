//! What a benchmark run measured, and how it is written: a JSON report, a Markdown summary and an
//! SVG plot of throughput and latency over time. Pure functions of the figures, so they are tested
//! without a network.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// Latency percentiles, in milliseconds, over `count` committed transactions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples_us` (microseconds), which it sorts.
    pub fn of(samples_us: &mut [u64]) -> Self {
        if samples_us.is_empty() {
            return Percentiles::default();
        }
        samples_us.sort_unstable();
        let n = samples_us.len();
        let rank = |p: f64| -> f64 {
            let i = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
            samples_us[i] as f64 / 1000.0
        };
        Percentiles {
            count: n as u64,
            p50_ms: rank(0.50),
            p90_ms: rank(0.90),
            p99_ms: rank(0.99),
            max_ms: samples_us[n - 1] as f64 / 1000.0,
        }
    }
}

/// One second of the run, counted from the start of submission.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SecondPoint {
    pub t_s: u64,
    /// Transfers submitted (scheduled) in this second.
    pub submitted: u64,
    /// Successful transfers whose commit was observed in this second.
    pub committed: u64,
    /// Latency of the transfers committed in this second.
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SetupFigures {
    pub carriers: usize,
    pub traders: usize,
    pub bls: usize,
    pub seconds: f64,
    pub presigned: usize,
    pub presign_seconds: f64,
}

/// What became of every pre-signed transfer that was submitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcomes {
    pub submitted: u64,
    pub admitted: u64,
    /// Refused at admission, by code (never entered a mempool; reported to the submitter).
    pub refused_at_admission: BTreeMap<String, u64>,
    /// Committed with `SUCCESS`.
    pub committed_success: u64,
    /// Committed with a refusal receipt, by code.
    pub committed_refused: BTreeMap<String, u64>,
    /// Admitted but never seen committed: must be 0.
    pub lost: u64,
    /// Seen committed more than once: must be 0.
    pub duplicated: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockFigures {
    /// Blocks committed during the window.
    pub blocks: u64,
    pub mean_txs: f64,
    pub max_txs: u64,
    pub mean_interval_ms: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadFigures {
    pub node: String,
    pub concurrency: usize,
    pub seconds: f64,
    pub ok: u64,
    pub errors: u64,
    pub per_second: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncFigures {
    pub node: String,
    /// Height the new node had to reach, and the transactions in those blocks.
    pub height: u64,
    pub txs: u64,
    pub seconds: f64,
    pub txs_per_second: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeMemory {
    pub node: String,
    /// Peak resident set (VmHWM) and resident set at the end of the window (VmRSS), MiB.
    pub peak_mib: f64,
    pub rss_mib: f64,
}

/// CPU time (user + system, every thread) the node processes used while the benchmark
/// submitted transfers, from the window's start to the last submission or the window's end.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuFigures {
    pub seconds: f64,
    pub cpu_seconds: f64,
    /// Successful transfers committed in those seconds.
    pub transfers: u64,
    /// All nodes' CPU per committed transfer: a saturated machine's throughput is its cores
    /// divided by this, so it compares two builds with less noise than throughput does.
    pub us_per_transfer: f64,
    /// Cores the nodes kept busy on average.
    pub cores: f64,
}

/// ed25519 batch verification on this machine, and the network's ceiling it implies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerifyFigures {
    pub batch: usize,
    pub per_signature_us: f64,
    pub per_core_per_second: f64,
    pub cores: usize,
    pub validators: usize,
    /// rate × cores ÷ validators: every validator verifies every signature once.
    pub ceiling_tps: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckFigures {
    pub passed: bool,
    pub tips: Vec<u64>,
    pub replayed_blocks: u64,
    pub acked_found_on_every_node: usize,
    pub error: Option<String>,
}

/// One benchmark run on a fresh network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub run: usize,
    /// `open-loop` or `saturating`.
    pub mode: String,
    pub offered_tps: Option<f64>,
    pub outstanding_max: Option<usize>,
    pub validators: usize,
    pub lanes: usize,
    pub warmup_s: f64,
    pub window_s: f64,
    pub setup: SetupFigures,
    pub outcomes: Outcomes,
    /// Successful transfers committed during the window, per second.
    pub committed_tps: f64,
    /// Submit (the schedule's time, so a slow submitter is charged) → commit observed, for the
    /// transfers scheduled in the window.
    pub latency: Percentiles,
    /// Transfers scheduled in the window that were never committed.
    pub window_uncommitted: u64,
    /// Saturating: when (s from the start) the last pre-signed transfer committed, if that was
    /// before the window ended — the network then sat idle and `committed_tps` is a lower bound.
    #[serde(default)]
    pub supply_ran_out_s: Option<f64>,
    pub blocks: BlockFigures,
    pub reads: Option<ReadFigures>,
    pub sync: Option<SyncFigures>,
    pub memory: Vec<NodeMemory>,
    /// `None` where `/proc` could not be read (not Linux) or nothing committed in the span.
    #[serde(default)]
    pub node_cpu: Option<CpuFigures>,
    pub verify: VerifyFigures,
    pub fraction_of_ceiling: f64,
    pub check: CheckFigures,
    pub series: Vec<SecondPoint>,
}

impl RunReport {
    /// Did every submitted transfer end committed exactly once or refused, with every node
    /// agreeing?
    pub fn correct(&self) -> bool {
        self.check.passed && self.outcomes.lost == 0 && self.outcomes.duplicated == 0
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
    pub os: String,
    pub rustc: String,
}

impl Machine {
    /// Reads what Linux says of this machine; unknown fields stay empty.
    pub fn probe() -> Self {
        let cpu = crate::procfs::cpu_model().unwrap_or_default();
        let memory_gib = crate::procfs::memory_total_gib().unwrap_or(0.0);
        let os = std::fs::read_to_string("/etc/os-release")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .unwrap_or("")
            .trim_matches('"')
            .to_string();
        let rustc = std::process::Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        Machine { cores: cores(), cpu, memory_gib, os, rustc }
    }
}

/// Cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A figure of DESIGN §9 across the runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub figure: String,
    pub target: String,
    pub min: f64,
    pub median: f64,
    pub max: f64,
    pub unit: String,
    /// Whether the median meets the target; `None` where this benchmark cannot say (memory is
    /// targeted at 1 M BLs, far more than a run creates; the ceiling fraction has no target).
    pub met: Option<bool>,
}

/// The whole benchmark: the command, the machine, every run and the summary over the runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub command: String,
    pub started: String,
    pub machine: Machine,
    pub runs: Vec<RunReport>,
    pub summary: Vec<SummaryRow>,
}

/// (min, median, max) of `values`; the median of an even count is the lower middle one, so it is
/// always a measured value.
pub fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some((v[0], v[(v.len() - 1) / 2], v[v.len() - 1]))
}

impl BenchReport {
    /// Fills [`BenchReport::summary`] from the runs: each DESIGN §9 figure, min/median/max.
    pub fn summarise(&mut self) {
        type Pick = fn(&RunReport) -> Option<f64>;
        type Met = fn(f64) -> Option<bool>;
        let rows: [(&str, &str, &str, Pick, Met); 8] = [
            (
                "committed title transfers per second (window)",
                "≥ 10,000",
                "tx/s",
                |r| Some(r.committed_tps),
                |v| Some(v >= 10_000.0),
            ),
            ("submit → commit latency p50", "≤ 300", "ms", |r| Some(r.latency.p50_ms), |v| Some(v <= 300.0)),
            (
                "submit → commit latency p99",
                "≤ 1,000",
                "ms",
                |r| Some(r.latency.p99_ms),
                |v| Some(v <= 1_000.0),
            ),
            (
                "title verification reads, one node",
                "≥ 20,000",
                "req/s",
                |r| r.reads.as_ref().map(|x| x.per_second),
                |v| Some(v >= 20_000.0),
            ),
            (
                "new node syncing: replayed and verified",
                "≥ 20,000",
                "tx/s",
                |r| r.sync.as_ref().map(|s| s.txs_per_second),
                |v| Some(v >= 20_000.0),
            ),
            (
                "peak RSS, largest node (at the run's BL count)",
                "≤ 1,024 at 1 M BLs",
                "MiB",
                |r| r.memory.iter().map(|m| m.peak_mib).reduce(f64::max),
                |_| None,
            ),
            (
                "CPU of all nodes per committed transfer (window)",
                "—",
                "µs",
                |r| r.node_cpu.as_ref().map(|c| c.us_per_transfer),
                |_| None,
            ),
            ("throughput ÷ ed25519 ceiling", "—", "%", |r| Some(100.0 * r.fraction_of_ceiling), |_| None),
        ];
        self.summary = rows
            .iter()
            .filter_map(|(figure, target, unit, pick, met)| {
                let values: Vec<f64> = self.runs.iter().filter_map(pick).collect();
                let (min, median, max) = spread(&values)?;
                Some(SummaryRow {
                    figure: figure.to_string(),
                    target: target.to_string(),
                    min,
                    median,
                    max,
                    unit: unit.to_string(),
                    met: met(median),
                })
            })
            .collect();
    }

    /// The Markdown summary; `plot` is the SVG's file name, linked from it.
    pub fn markdown(&self, plot: &str) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let _ = writeln!(s, "# Network benchmark\n");
        let _ = writeln!(s, "Command: `{}`  ", self.command);
        let _ = writeln!(s, "Started: {}  ", self.started);
        let _ = writeln!(
            s,
            "Machine: {} cores ({}), {:.1} GiB, {}, {}\n",
            m.cores, m.cpu, m.memory_gib, m.os, m.rustc
        );
        let _ = writeln!(s, "## DESIGN §9 figures over {} run(s)\n", self.runs.len());
        let _ = writeln!(s, "| figure | target | min | median | max | unit | median meets target |");
        let _ = writeln!(s, "|---|---|---:|---:|---:|---|---|");
        for r in &self.summary {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.figure,
                r.target,
                num(r.min),
                num(r.median),
                num(r.max),
                r.unit,
                match r.met {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "—",
                }
            );
        }
        let dry = self.runs.iter().filter(|r| r.supply_ran_out_s.is_some()).count();
        if dry > 0 {
            let _ = writeln!(
                s,
                "\n**Warning**: in {dry} of {} run(s) every pre-signed transfer committed before the \
                 window ended, so the network sat idle and the throughput figure is a lower bound, not \
                 the network's capacity: run again with a larger `--presign-rate`.",
                self.runs.len()
            );
        }
        let _ = writeln!(s, "\n![throughput and latency per second]({plot})\n");
        let _ = writeln!(s, "## Runs\n");
        let _ = writeln!(
            s,
            "| run | mode | offered tx/s | committed tx/s | p50 ms | p90 ms | p99 ms | max ms | blocks | txs/block | reads/s | sync tx/s | peak RSS MiB | correct |"
        );
        let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for r in &self.runs {
            let peak = r.memory.iter().map(|m| m.peak_mib).fold(0.0, f64::max);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.run,
                r.mode,
                r.offered_tps.map_or("—".to_string(), num),
                num(r.committed_tps),
                num(r.latency.p50_ms),
                num(r.latency.p90_ms),
                num(r.latency.p99_ms),
                num(r.latency.max_ms),
                r.blocks.blocks,
                num(r.blocks.mean_txs),
                r.reads.as_ref().map_or("—".to_string(), |x| num(x.per_second)),
                r.sync.as_ref().map_or("—".to_string(), |x| num(x.txs_per_second)),
                num(peak),
                if r.correct() { "yes" } else { "**NO**" }
            );
        }
        for r in &self.runs {
            let o = &r.outcomes;
            let _ = writeln!(s, "\n### Run {}\n", r.run);
            let _ = writeln!(
                s,
                "- set-up: {} carriers, {} traders, {} BLs in {:.1} s; {} transfers pre-signed in {:.1} s",
                r.setup.carriers,
                r.setup.traders,
                r.setup.bls,
                r.setup.seconds,
                r.setup.presigned,
                r.setup.presign_seconds
            );
            let _ = writeln!(
                s,
                "- {} validators, {} lanes, warm-up {:.0} s, window {:.0} s",
                r.validators, r.lanes, r.warmup_s, r.window_s
            );
            let _ = writeln!(
                s,
                "- transfers: {} submitted, {} admitted, refused at admission {:?}, {} committed SUCCESS, committed refused {:?}, {} lost, {} duplicated; {} scheduled in the window not committed",
                o.submitted,
                o.admitted,
                o.refused_at_admission,
                o.committed_success,
                o.committed_refused,
                o.lost,
                o.duplicated,
                r.window_uncommitted
            );
            let _ = writeln!(
                s,
                "- blocks in the window: {}, {:.0} txs on average (max {}), one every {:.0} ms",
                r.blocks.blocks, r.blocks.mean_txs, r.blocks.max_txs, r.blocks.mean_interval_ms
            );
            if let Some(at) = r.supply_ran_out_s {
                let _ = writeln!(
                    s,
                    "- **the pre-signed supply ran out**: the last transfer committed at {at:.1} s, before \
                     the window ended at {:.1} s; the throughput figure is a lower bound",
                    r.warmup_s + r.window_s
                );
            }
            let v = &r.verify;
            let _ = writeln!(
                s,
                "- ed25519 batch verification ({} signatures per batch): {:.1} µs per signature, {} per core per second; ceiling {} × {} cores ÷ {} validators = {} tx/s; this run reached {:.1} % of it",
                v.batch,
                v.per_signature_us,
                num(v.per_core_per_second),
                num(v.per_core_per_second),
                v.cores,
                v.validators,
                num(v.ceiling_tps),
                100.0 * r.fraction_of_ceiling
            );
            if let Some(c) = &r.node_cpu {
                let _ = writeln!(
                    s,
                    "- node CPU: {:.1} s over {:.1} s ({:.2} cores) for {} transfers committed: {:.1} µs per transfer, all {} nodes together",
                    c.cpu_seconds,
                    c.seconds,
                    c.cores,
                    num(c.transfers as f64),
                    c.us_per_transfer,
                    r.validators
                );
            }
            if let Some(x) = &r.reads {
                let _ = writeln!(
                    s,
                    "- reads: `GET /v1/verify/{{bl}}?checksum=` on {}, {} concurrent, {} ok, {} errors in {:.1} s",
                    x.node, x.concurrency, x.ok, x.errors, x.seconds
                );
            }
            if let Some(x) = &r.sync {
                let _ = writeln!(
                    s,
                    "- sync: {} deleted its database and caught up to height {} ({} transactions) in {:.1} s",
                    x.node, x.height, x.txs, x.seconds
                );
            }
            let memory: Vec<String> =
                r.memory.iter().map(|m| format!("{} {:.0}/{:.0}", m.node, m.peak_mib, m.rss_mib)).collect();
            let _ = writeln!(s, "- memory, peak/now MiB: {}", memory.join(", "));
            let c = &r.check;
            let _ = writeln!(
                s,
                "- check: {} (tips {:?}, {} blocks replayed from the genesis, {} commits found on every node){}",
                if c.passed { "passed" } else { "FAILED" },
                c.tips,
                c.replayed_blocks,
                c.acked_found_on_every_node,
                c.error.as_ref().map_or(String::new(), |e| format!(": {e}"))
            );
        }
        s
    }

    /// Two panels over time: committed transfers per second, and p50/p99 latency of each second's
    /// commits; one line per run.
    pub fn svg(&self) -> String {
        const W: f64 = 900.0;
        const PANEL: f64 = 260.0;
        const LEFT: f64 = 70.0;
        const TOP: f64 = 40.0;
        const GAP: f64 = 70.0;
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
        let t_max =
            self.runs.iter().flat_map(|r| r.series.iter().map(|p| p.t_s)).max().unwrap_or(1).max(1) as f64;
        let tps_max = nice(
            self.runs.iter().flat_map(|r| r.series.iter().map(|p| p.committed as f64)).fold(1.0, f64::max),
        );
        let lat_max =
            nice(self.runs.iter().flat_map(|r| r.series.iter().map(|p| p.p99_ms)).fold(1.0, f64::max));
        let plot_w = W - LEFT - 30.0;
        let height = TOP + 2.0 * PANEL + GAP + 50.0;
        let x = |t: f64| LEFT + plot_w * t / t_max;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let panels = [
            ("committed transfers per second", tps_max, TOP),
            ("latency of each second's commits, ms (solid p50, dashed p99)", lat_max, TOP + PANEL + GAP),
        ];
        for (title, max, top) in panels {
            let _ = writeln!(s, r#"<text x="{LEFT}" y="{}" font-weight="bold">{title}</text>"#, top - 10.0);
            let _ = writeln!(
                s,
                r##"<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{PANEL}" fill="none" stroke="#999"/>"##
            );
            for i in 0..=4 {
                let v = max * f64::from(i) / 4.0;
                let y = top + PANEL - PANEL * f64::from(i) / 4.0;
                let _ = writeln!(
                    s,
                    r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/>"##,
                    LEFT + plot_w
                );
                let _ = writeln!(
                    s,
                    r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                    LEFT - 6.0,
                    y + 4.0,
                    num(v)
                );
            }
            for i in 0..=6 {
                let t = t_max * f64::from(i) / 6.0;
                let _ = writeln!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{:.0} s</text>"#,
                    x(t),
                    top + PANEL + 16.0,
                    t
                );
            }
        }
        let y_in = |v: f64, max: f64, top: f64| top + PANEL - PANEL * (v / max).min(1.0);
        for (i, run) in self.runs.iter().enumerate() {
            let colour = colours[i % colours.len()];
            // One polyline over `points`: `value` scaled to `max` in the panel at `top`.
            let polyline =
                |points: &[&SecondPoint], value: fn(&SecondPoint) -> f64, max: f64, top: f64, dash: &str| {
                    let coordinates: Vec<String> = points
                        .iter()
                        .map(|p| format!("{:.1},{:.1}", x(p.t_s as f64), y_in(value(p), max, top)))
                        .collect();
                    format!(
                        r#"<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dash} points="{}"/>"#,
                        coordinates.join(" ")
                    )
                };
            let every: Vec<&SecondPoint> = run.series.iter().collect();
            let _ = writeln!(s, "{}", polyline(&every, |p| p.committed as f64, tps_max, TOP, ""));
            // Latency only where something was committed.
            let with_commits: Vec<&SecondPoint> = run.series.iter().filter(|p| p.committed > 0).collect();
            let top = TOP + PANEL + GAP;
            let _ = writeln!(s, "{}", polyline(&with_commits, |p| p.p50_ms, lat_max, top, ""));
            let dashed = r#" stroke-dasharray="5,3""#;
            let _ = writeln!(s, "{}", polyline(&with_commits, |p| p.p99_ms, lat_max, top, dashed));
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" fill="{colour}">run {} ({})</text>"#,
                LEFT + 10.0 + 150.0 * i as f64,
                height - 15.0,
                run.run,
                run.offered_tps.map_or("saturating".to_string(), |r| format!("{} tx/s offered", num(r)))
            );
        }
        let _ = writeln!(s, "</svg>");
        s
    }
}

/// A round upper bound for an axis.
fn nice(max: f64) -> f64 {
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// A figure as people read it: thousands separated, at most one decimal below 100.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.abs() < 100.0 && v.fract() != 0.0 {
        return format!("{v:.1}");
    }
    let whole = v.round() as i64;
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if whole < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut samples: Vec<u64> = (1..=100).map(|ms| ms * 1000).collect();
        let p = Percentiles::of(&mut samples);
        assert_eq!((p.count, p.p50_ms, p.p90_ms, p.p99_ms, p.max_ms), (100, 50.0, 90.0, 99.0, 100.0));
        let mut one = vec![7_000];
        assert_eq!(Percentiles::of(&mut one).p99_ms, 7.0);
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
    }

    #[test]
    fn spread_takes_a_measured_median() {
        assert_eq!(spread(&[3.0, 1.0, 2.0]), Some((1.0, 2.0, 3.0)));
        assert_eq!(spread(&[4.0, 1.0, 3.0, 2.0]), Some((1.0, 2.0, 4.0)));
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(num(12_345.4), "12,345");
        assert_eq!(num(999.0), "999");
        assert_eq!(num(12.25), "12.2");
        assert_eq!(num(-1_000_000.0), "-1,000,000");
        assert_eq!(nice(7_300.0), 10_000.0);
        assert_eq!(nice(180.0), 200.0);
    }

    fn run(n: usize, tps: f64, p99: f64, correct: bool) -> RunReport {
        RunReport {
            run: n,
            mode: "open-loop".into(),
            offered_tps: Some(tps),
            committed_tps: tps,
            latency: Percentiles {
                count: 10,
                p50_ms: p99 / 3.0,
                p90_ms: p99 / 2.0,
                p99_ms: p99,
                max_ms: p99,
            },
            check: CheckFigures { passed: correct, ..CheckFigures::default() },
            series: (0..5)
                .map(|t| SecondPoint { t_s: t, submitted: 10, committed: 10 * t, p50_ms: 5.0, p99_ms: 9.0 })
                .collect(),
            ..RunReport::default()
        }
    }

    #[test]
    fn summary_markdown_and_plot_carry_every_run() {
        let mut report = BenchReport {
            runs: vec![
                run(1, 900.0, 800.0, true),
                run(2, 1100.0, 1200.0, false),
                run(3, 1000.0, 900.0, true),
            ],
            ..BenchReport::default()
        };
        report.summarise();
        let tps = &report.summary[0];
        assert_eq!((tps.min, tps.median, tps.max, tps.met), (900.0, 1000.0, 1100.0, Some(false)));
        let p99 = report.summary.iter().find(|r| r.figure.ends_with("p99")).expect("p99 row");
        assert_eq!((p99.median, p99.met), (900.0, Some(true)));
        // No reads or sync were measured: those rows are absent, not zero.
        assert!(report.summary.iter().all(|r| !r.figure.contains("reads") && !r.figure.contains("sync")));
        let md = report.markdown("plot.svg");
        assert!(md.contains("| 1,000 |") && md.contains("![throughput and latency per second](plot.svg)"));
        assert!(md.contains("**NO**"), "an incorrect run is flagged");
        let svg = report.svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 9, "three lines per run");
        assert!(!md.contains("supply ran out") && !md.contains("**Warning**"));
    }

    #[test]
    fn a_run_that_ran_out_of_pre_signed_transfers_is_flagged_as_a_lower_bound() {
        let mut dry = run(2, 4_500.0, 900.0, true);
        (dry.mode, dry.offered_tps, dry.warmup_s, dry.window_s) = ("saturating".into(), None, 10.0, 60.0);
        dry.supply_ran_out_s = Some(58.5);
        let mut report =
            BenchReport { runs: vec![run(1, 4_000.0, 900.0, true), dry], ..BenchReport::default() };
        report.summarise();
        let md = report.markdown("plot.svg");
        assert!(md.contains("**Warning**: in 1 of 2 run(s) every pre-signed transfer committed"), "{md}");
        assert!(
            md.contains("the last transfer committed at 58.5 s, before the window ended at 70.0 s"),
            "{md}"
        );
    }
}
