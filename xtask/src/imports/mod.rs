//! The import check of `cargo xtask test`: every crate's module tree (one node per file, from
//! its `mod` declarations), an edge wherever a file names another module (`use` and paths in
//! code through `crate::`, `super::`, `self::` or a child module; a name a module only
//! re-exports is followed to the module that defines it), and the circles in that graph
//! (Tarjan's strongly connected components). A circle fails the check: ARCHITECTURE.md
//! promises none. Also prints each crate's modules and layers (the longest import chain).

mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context as _, Result};

use scan::{scan, tokenize, FileScan};

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
        let layers = if circles.is_empty() {
            layers(&graph)
        } else {
            0
        };
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
        let scanned = scan(&tokenize(&text));
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

/// The strongly connected components of more than one module (Tarjan).
fn circles(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'g ModPath, (usize, usize)>,
        stack: Vec<&'g ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g ModPath) {
            let n = self.index.len();
            self.index.insert(v, (n, n));
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let low = match self.index.get(w) {
                    None => {
                        self.visit(w);
                        self.index[w].1
                    }
                    Some(&(i, _)) if self.stack.contains(&w) => i,
                    Some(_) => continue,
                };
                let entry = self.index.get_mut(v).expect("visited");
                entry.1 = entry.1.min(low);
            }
            let (i, low) = self.index[v];
            if i == low {
                let at = self.stack.iter().rposition(|m| *m == v).unwrap_or(0);
                let component: Vec<ModPath> = self.stack.drain(at..).cloned().collect();
                if component.len() > 1 {
                    self.out.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

/// The longest import chain, in modules (the graph has no circles).
fn layers(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> usize {
    fn depth<'g>(
        graph: &'g BTreeMap<ModPath, BTreeSet<ModPath>>,
        v: &'g ModPath,
        memo: &mut BTreeMap<&'g ModPath, usize>,
    ) -> usize {
        if let Some(&d) = memo.get(v) {
            return d;
        }
        let below = graph.get(v).into_iter().flatten();
        let d = 1 + below.map(|w| depth(graph, w, memo)).max().unwrap_or(0);
        memo.insert(v, d);
        d
    }
    let mut memo = BTreeMap::new();
    graph
        .keys()
        .map(|v| depth(graph, v, &mut memo))
        .max()
        .unwrap_or(0)
}

fn describe(circle: &[ModPath]) -> String {
    let mut names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
    names.sort();
    names.join(" <-> ")
}

#[cfg(test)]
mod tests;
