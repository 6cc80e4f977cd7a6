//! Processes as /proc shows them: the descendants of a pid, and whether a pid still runs.

use std::collections::HashMap;

/// `(ppid, state)` of every process.
fn table() -> HashMap<u32, (u32, char)> {
    let mut t = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return t;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may contain spaces and parentheses.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let state = f.next().and_then(|s| s.chars().next()).unwrap_or('?');
        if let Some(ppid) = f.next().and_then(|s| s.parse().ok()) {
            t.insert(pid, (ppid, state));
        }
    }
    t
}

/// Every descendant of `pid` (children, their children, …).
pub fn descendants(pid: u32) -> Vec<u32> {
    let t = table();
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for (&child, &(ppid, _)) in &t {
            if ppid == p && !out.contains(&child) {
                out.push(child);
                frontier.push(child);
            }
        }
    }
    out
}

/// Whether `pid` exists and is not a zombie.
pub fn running(pid: u32) -> bool {
    table().get(&pid).is_some_and(|&(_, state)| state != 'Z')
}

/// The command name of `pid`.
pub fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
