//! The import check of `cargo xtask test`: every crate's module tree (one node per file, from
//! its `mod` declarations), an edge wherever a file names another module (`use` and paths in
//! code through `crate::`, `super::`, `self::` or a child module; a name a module only
//! re-exports is followed to the module that defines it), and the circles in that graph
//! (petgraph's Tarjan strongly connected components). A circle fails the check:
//! ARCHITECTURE.md promises none. Also prints each crate's modules and layers (the longest
//! import chain).

mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context as _, Result};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use scan::{scan, FileScan};

/// A module's path inside its crate (`[]`: the crate root).
type ModPath = Vec<String>;

/// One crate's files, scanned.
struct Crate {
    files: BTreeMap<ModPath, FileScan>,
}

/// Checks every crate of the workspace at `root`; an error names every circle.
pub fn check(root: &Path) -> Result<()> {
    let mut found = Vec::new();
    for (name, file) in crate_roots(root)? {
        let krate = load(&file)?;
        let graph = edges(&krate);
        let circles = circles(&graph);
        let layers = layers(&graph);
        println!(
            "imports: {name}: {} modules, {layers} layers, {} circles",
            krate.files.len(),
            circles.len()
        );
        found.extend(circles.iter().map(|c| format!("{name}: {}", describe(c))));
    }
    ensure!(
        found.is_empty(),
        "module import circles:\n  {}",
        found.join("\n  ")
    );
    Ok(())
}

/// `crates/*/src/{lib,main}.rs` and `xtask/src/main.rs`, each named `<crate>/<file>`.
fn crate_roots(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .context("listing crates/")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.push(root.join("xtask"));
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        for file in ["lib.rs", "main.rs"] {
            let path = dir.join("src").join(file);
            if path.is_file() {
                let name = dir.file_name().unwrap_or_default().to_string_lossy();
                out.push((format!("{name}/{file}"), path));
            }
        }
    }
    Ok(out)
}

/// Reads the module tree under the crate root `file`.
fn load(file: &Path) -> Result<Crate> {
    let mut krate = Crate {
        files: BTreeMap::new(),
    };
    let mut todo = vec![(ModPath::new(), file.to_path_buf(), true)];
    while let Some((path, file, owns_dir)) = todo.pop() {
        let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file:?}"))?;
        let scanned = scan(&text).with_context(|| format!("parsing {file:?}"))?;
        let dir = file.parent().unwrap_or(Path::new("."));
        let stem = file.file_stem().unwrap_or_default();
        for (name, attr) in &scanned.declared {
            let base = if owns_dir {
                dir.to_path_buf()
            } else {
                dir.join(stem)
            };
            let (child, owns) = match attr {
                Some(p) => (dir.join(p), false),
                None if base.join(format!("{name}.rs")).is_file() => {
                    (base.join(format!("{name}.rs")), false)
                }
                None => (base.join(name).join("mod.rs"), true),
            };
            if child.is_file() {
                let mut child_path = path.clone();
                child_path.push(name.clone());
                todo.push((child_path, child, owns));
            }
        }
        krate.files.insert(path, scanned);
    }
    Ok(krate)
}

/// `segments` named in module `at` as a path from the crate root, if it is a module path.
fn absolute(krate: &Crate, at: &[String], segments: &[String]) -> Option<ModPath> {
    let (first, rest) = segments.split_first()?;
    let mut base: ModPath = match first.as_str() {
        "crate" => return Some(rest.to_vec()),
        "self" => at.to_vec(),
        "super" => at[..at.len().checked_sub(1)?].to_vec(),
        _ => {
            let mut child = at.to_vec();
            child.push(first.clone());
            return krate.files.contains_key(&child).then(|| {
                child.extend_from_slice(rest);
                child
            });
        }
    };
    for (k, s) in rest.iter().enumerate() {
        if s != "super" {
            base.extend_from_slice(&rest[k..]);
            return Some(base);
        }
        base.pop()?;
    }
    Some(base)
}

/// `(module, name)` → the path that module re-exports as `name` (`pub use a::b::Name`).
fn reexports(krate: &Crate) -> BTreeMap<(ModPath, String), ModPath> {
    let mut out = BTreeMap::new();
    for (at, file) in &krate.files {
        for named in file
            .paths
            .iter()
            .filter(|n| n.reexport && n.inline.is_empty())
        {
            if let Some(full) = absolute(krate, at, &named.segments) {
                if let Some(last) = full.last() {
                    out.insert((at.clone(), last.clone()), full.clone());
                }
            }
        }
    }
    out
}

/// The module that defines what `full` names: its longest module prefix, through re-exports.
fn resolve(
    krate: &Crate,
    rex: &BTreeMap<(ModPath, String), ModPath>,
    full: &[String],
    hops: u8,
) -> ModPath {
    for n in (0..=full.len()).rev() {
        let prefix = &full[..n];
        if !krate.files.contains_key(prefix) {
            continue;
        }
        if let Some(next) = full.get(n) {
            if let Some(via) = rex.get(&(prefix.to_vec(), next.clone())) {
                if hops < 8 && via.as_slice() != &full[..=n] {
                    let mut target = via.clone();
                    target.extend_from_slice(&full[n + 1..]);
                    return resolve(krate, rex, &target, hops + 1);
                }
            }
        }
        return prefix.to_vec();
    }
    ModPath::new()
}

/// The import graph: each module and the other modules it names. The crate root declares the
/// modules and re-exports them, so its own edges are left out.
fn edges(krate: &Crate) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let rex = reexports(krate);
    let mut graph: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (at, file) in &krate.files {
        let node = graph.entry(at.clone()).or_default();
        if at.is_empty() {
            continue;
        }
        for named in &file.paths {
            let mut inner = at.clone();
            inner.extend(named.inline.iter().cloned());
            if let Some(full) = absolute(krate, &inner, &named.segments) {
                let target = resolve(krate, &rex, &full, 0);
                if &target != at && !target.is_empty() {
                    node.insert(target);
                }
            }
        }
    }
    graph
}

/// The import graph as petgraph's, one node per module.
fn digraph(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> DiGraph<&ModPath, ()> {
    let mut g = DiGraph::new();
    let index: BTreeMap<&ModPath, NodeIndex> = graph.keys().map(|m| (m, g.add_node(m))).collect();
    for (from, targets) in graph {
        for to in targets {
            if let (Some(&a), Some(&b)) = (index.get(from), index.get(to)) {
                g.add_edge(a, b, ());
            }
        }
    }
    g
}

/// The strongly connected components of more than one module.
fn circles(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    let g = digraph(graph);
    tarjan_scc(&g)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| c.into_iter().map(|n| g[n].clone()).collect())
        .collect()
}

/// The longest import chain, in modules; 0 where there are circles.
fn layers(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> usize {
    let g = digraph(graph);
    let Ok(order) = toposort(&g, None) else {
        return 0;
    };
    let mut depth = vec![0; g.node_count()];
    for n in order.into_iter().rev() {
        let below = g.neighbors(n).map(|w| depth[w.index()]).max();
        depth[n.index()] = 1 + below.unwrap_or(0);
    }
    depth.into_iter().max().unwrap_or(0)
}

fn describe(circle: &[ModPath]) -> String {
    let mut names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
    names.sort();
    names.join(" <-> ")
}

#[cfg(test)]
mod tests;
