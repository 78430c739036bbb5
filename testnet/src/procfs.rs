//! What Linux's `/proc` says of a process or of this machine: the one place the benchmark, the
//! replay and the attack suite read it. Every reader answers `None` where `/proc` does not
//! (another OS, a process that has ended) rather than a made-up zero.

/// A process's memory, from `/proc/<pid>/status`, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Resident set now (`VmRSS`).
    pub rss: u64,
    /// Peak resident set so far (`VmHWM`).
    pub peak: u64,
}

impl Memory {
    /// In MiB, for reports.
    pub fn rss_mib(&self) -> f64 {
        self.rss as f64 / (1024.0 * 1024.0)
    }

    /// In MiB, for reports.
    pub fn peak_mib(&self) -> f64 {
        self.peak as f64 / (1024.0 * 1024.0)
    }
}

/// Process `pid`'s memory; `None` unless its `/proc/<pid>/status` reads and names both figures.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let bytes = |name: &str| field(&status, name).map(|kb| kb as u64 * 1024);
    Some(Memory { rss: bytes("VmRSS:")?, peak: bytes("VmHWM:")? })
}

/// User plus system time so far of process `pid` (a number, or `self`), every thread counted;
/// `None` unless its `/proc/<pid>/stat` reads.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let ticks_per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(stat_cpu_ticks(&stat)? as f64 / ticks_per_second as f64)
}

/// User plus system time, in clock ticks, of a `/proc/<pid>/stat` line: fields 14 and 15,
/// counted after the command name's closing parenthesis (the name may hold spaces or one).
fn stat_cpu_ticks(stat: &str) -> Option<u64> {
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// The number after `name` in a `/proc` file such as `/proc/meminfo` or `/proc/<pid>/status`
/// (in kB there), if present.
pub fn field(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
}

/// The machine's memory in GiB (`/proc/meminfo`), if it says.
pub fn memory_total_gib() -> Option<f64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    field(&meminfo, "MemTotal:").map(|kb| kb / 1024.0 / 1024.0)
}

/// The CPU's model name (`/proc/cpuinfo`), if it says.
pub fn cpu_model() -> Option<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split(':').nth(1)))
        .map(|name| name.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_past_the_command_name() {
        // A command name with a space and a parenthesis; utime 1500 and stime 250 ticks.
        let stat = "4242 (ebl-node (x) y) S 1 4242 4242 0 -1 4194560 9000 0 3 0 1500 250 0 0 20 0 38 0";
        assert_eq!(stat_cpu_ticks(stat), Some(1750));
        assert_eq!(stat_cpu_ticks("4242 (ebl-node) S 1 2"), None, "too few fields");
        assert_eq!(stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn this_process_reads_its_own_figures() {
        let me = memory(std::process::id()).expect("/proc/<pid>/status on Linux");
        assert!(me.rss > 0 && me.peak >= me.rss, "{me:?}");
        assert!(cpu_seconds("self").is_some());
        assert_eq!(field("VmHWM:\t  2048 kB\nVmRSS:\t 1024 kB\n", "VmRSS:"), Some(1024.0));
        assert_eq!(field("VmHWM:\t  2048 kB\n", "VmRSS:"), None);
    }
}
