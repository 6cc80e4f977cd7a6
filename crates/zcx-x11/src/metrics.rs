//! Metrics of both ends of the X socket: this process's CPU time and context switches
//! (getrusage), a thread's CPU clock, and the X server's counters read from /proc through the
//! server pid that SO_PEERCRED reports for a local connection.

use std::os::fd::AsFd;
use std::path::PathBuf;
use std::time::Duration;

use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use nix::time::{clock_gettime, ClockId};

/// CPU time and context switches of a process or thread at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuSample {
    pub cpu: Duration,
    pub ctx_switches: u64,
}

impl CpuSample {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &CpuSample) -> CpuSample {
        CpuSample {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            ctx_switches: self.ctx_switches.saturating_sub(earlier.ctx_switches),
        }
    }
}

fn rusage(who: UsageWho) -> CpuSample {
    match getrusage(who) {
        Ok(u) => {
            let tv = |t: nix::sys::time::TimeVal| {
                Duration::new(t.tv_sec().max(0) as u64, (t.tv_usec().max(0) as u32) * 1000)
            };
            CpuSample {
                cpu: tv(u.user_time()) + tv(u.system_time()),
                ctx_switches: (u.voluntary_context_switches() + u.involuntary_context_switches())
                    .max(0) as u64,
            }
        }
        Err(e) => {
            log::warn!("getrusage failed: {e}; CPU figures will read zero");
            CpuSample::default()
        }
    }
}

/// All threads of this process.
pub fn process_sample() -> CpuSample {
    rusage(UsageWho::RUSAGE_SELF)
}

/// The calling thread only.
pub fn thread_sample() -> CpuSample {
    rusage(UsageWho::RUSAGE_THREAD)
}

/// The calling thread's CPU clock, with nanosecond resolution (cheaper than getrusage).
pub fn thread_cpu_time() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

/// The pid of the process at the other end of a UNIX socket (the X server), if the kernel says.
pub fn peer_pid(socket: impl AsFd) -> Option<i32> {
    match getsockopt(&socket, PeerCredentials) {
        Ok(cred) if cred.pid() > 0 => Some(cred.pid()),
        Ok(_) => None,
        Err(e) => {
            log::debug!("SO_PEERCRED failed: {e} (not a local socket?)");
            None
        }
    }
}

/// Reads another process's counters (all of its threads) from /proc.
#[derive(Debug, Clone)]
pub struct ProcCounters {
    pid: i32,
}

impl ProcCounters {
    /// Returns `None` when /proc/<pid> cannot be read (another user's process, or gone).
    pub fn open(pid: i32) -> Option<ProcCounters> {
        let counters = ProcCounters { pid };
        counters.sample().map(|_| counters)
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// CPU time (nanosecond precision from schedstat where the kernel has it, else clock ticks)
    /// and voluntary + involuntary context switches, summed over every thread.
    pub fn sample(&self) -> Option<CpuSample> {
        let task_dir = PathBuf::from(format!("/proc/{}/task", self.pid));
        let mut total = CpuSample::default();
        for entry in std::fs::read_dir(&task_dir).ok()?.flatten() {
            // Threads come and go while we read: skip one that vanished.
            if let Some(task) = read_task(&entry.path()) {
                total.cpu += task.cpu;
                total.ctx_switches += task.ctx_switches;
            }
        }
        Some(total)
    }
}

fn read_task(dir: &std::path::Path) -> Option<CpuSample> {
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    let cpu = match std::fs::read_to_string(dir.join("schedstat")) {
        Ok(s) => parse_schedstat(&s)?,
        Err(_) => parse_stat_cpu(&std::fs::read_to_string(dir.join("stat")).ok()?)?,
    };
    Some(CpuSample {
        cpu,
        ctx_switches: parse_ctx_switches(&status),
    })
}

fn parse_ctx_switches(status: &str) -> u64 {
    status
        .lines()
        .filter(|l| {
            l.starts_with("voluntary_ctxt_switches") || l.starts_with("nonvoluntary_ctxt_switches")
        })
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .fold(0, u64::saturating_add)
}

fn parse_schedstat(schedstat: &str) -> Option<Duration> {
    schedstat
        .split_whitespace()
        .next()?
        .parse()
        .ok()
        .map(Duration::from_nanos)
}

fn parse_stat_cpu(stat: &str) -> Option<Duration> {
    // The command name (field 2) may hold spaces: fields after the last ')' start at field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = u128::from(clock_ticks_per_second());
    let nanos = (u128::from(utime) + u128::from(stime)) * 1_000_000_000 / ticks;
    Some(Duration::from_nanos(u64::try_from(nanos).ok()?))
}

/// The unit of `/proc/<pid>/stat`'s CPU times (USER_HZ, 100 on Linux unless sysconf says
/// otherwise).
fn clock_ticks_per_second() -> u64 {
    use nix::unistd::{sysconf, SysconfVar};
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => ticks as u64,
        _ => 100,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_formats() {
        let status = "Name:\tXvfb\nvoluntary_ctxt_switches:\t92\nnonvoluntary_ctxt_switches:\t22\n";
        assert_eq!(parse_ctx_switches(status), 114);
        assert_eq!(
            parse_schedstat("393845490 9401340 115\n"),
            Some(Duration::from_nanos(393_845_490))
        );
        let stat = "42 (odd name) x) S 1 42 42 0 -1 4194560 100 0 0 0 34 5 0 0 20 0 1 0";
        let ticks = clock_ticks_per_second();
        assert_eq!(
            parse_stat_cpu(stat),
            Some(Duration::from_nanos(39 * 1_000_000_000 / ticks))
        );
    }

    #[test]
    fn garbage_counters_saturate_or_are_refused_instead_of_overflowing() {
        let max = u64::MAX;
        let status = format!("voluntary_ctxt_switches:\t{max}\nnonvoluntary_ctxt_switches:\t9\n");
        assert_eq!(parse_ctx_switches(&status), u64::MAX);
        let stat = format!("1 (x) S 1 1 1 0 -1 0 0 0 0 0 {max} {max} 0");
        assert_eq!(parse_stat_cpu(&stat), None);
        assert_eq!(parse_stat_cpu("no closing paren"), None);
        assert_eq!(parse_schedstat("-5 1 1"), None);
    }

    #[test]
    fn own_process_counters_advance() {
        let counters = ProcCounters::open(std::process::id() as i32).expect("own /proc entry");
        let before = counters.sample().unwrap();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = counters.sample().unwrap();
        assert!(
            after.cpu > before.cpu,
            "CPU time did not advance: {before:?} -> {after:?}"
        );
        assert!(thread_cpu_time() > Duration::ZERO);
        assert!(process_sample().cpu >= thread_sample().cpu);
    }
}
