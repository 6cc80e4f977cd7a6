//! Reading one Rust source file for the import check, parsed by `syn`: the modules it declares
//! (`mod a;`, with `#[path]`), and every module path it names (`use` trees, `pub use`
//! re-exports, paths in code and in macro arguments), each with the inline module
//! (`mod tests { }`) it was found in.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Expr, ExprLit, ItemMod, ItemUse, Lit, Macro, Meta, UseTree, Visibility};

/// What one file declares and names.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FileScan {
    /// `mod a;` declarations: the name and its `#[path]`, if any.
    pub declared: Vec<(String, Option<String>)>,
    /// Paths of two segments or more (`crate::a::B`, `super::c`, `child::f`), each with the
    /// inline modules it sits in (for `super`), and whether it is a `pub use` re-export.
    pub paths: Vec<Named>,
}

/// One path a file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// Inline modules (`mod tests { }`) around it, outermost first.
    pub inline: Vec<String>,
    pub segments: Vec<String>,
    pub reexport: bool,
}

/// Parses `text` and collects what it declares and names.
pub fn scan(text: &str) -> syn::Result<FileScan> {
    let file = syn::parse_file(text)?;
    let mut scanner = Scanner::default();
    scanner.visit_file(&file);
    Ok(scanner.out)
}

#[derive(Default)]
struct Scanner {
    inline: Vec<String>,
    out: FileScan,
}

impl Scanner {
    fn push(&mut self, segments: Vec<String>, reexport: bool) {
        self.out.paths.push(Named {
            inline: self.inline.clone(),
            segments,
            reexport,
        });
    }
}

impl<'ast> Visit<'ast> for Scanner {
    fn visit_item_mod(&mut self, item: &'ast ItemMod) {
        let name = item.ident.to_string();
        match &item.content {
            None if self.inline.is_empty() => self.out.declared.push((name, path_attr(item))),
            None => {}
            Some(_) => {
                self.inline.push(name);
                visit::visit_item_mod(self, item);
                self.inline.pop();
            }
        }
    }

    fn visit_item_use(&mut self, item: &'ast ItemUse) {
        let reexport = !matches!(item.vis, Visibility::Inherited);
        for segments in use_tree(&item.tree) {
            self.push(segments, reexport);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() > 1 {
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.push(segments, false);
        }
        visit::visit_path(self, path);
    }

    /// Macro arguments are tokens to `syn`: their `a::b` runs count as paths.
    fn visit_macro(&mut self, mac: &'ast Macro) {
        let mut runs = Vec::new();
        token_paths(mac.tokens.clone(), &mut runs);
        for segments in runs {
            self.push(segments, false);
        }
        visit::visit_macro(self, mac);
    }
}

/// The `#[path = "..."]` of a module declaration.
fn path_attr(item: &ItemMod) -> Option<String> {
    item.attrs.iter().find_map(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// Every full path of a use tree (`a::{b, c::{d, self}}` → `a::b`, `a::c::d`, `a::c`); `as`
/// renames keep the original name and `e::*` names `e`.
pub fn use_tree(tree: &UseTree) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    tree_into(tree, &mut Vec::new(), &mut out);
    out
}

fn tree_into(tree: &UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let leaf = |prefix: &[String], name: &syn::Ident| {
        let mut path = prefix.to_vec();
        path.push(name.to_string());
        path
    };
    match tree {
        UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            tree_into(&p.tree, prefix, out);
            prefix.pop();
        }
        UseTree::Name(n) if n.ident == "self" && !prefix.is_empty() => out.push(prefix.clone()),
        UseTree::Name(n) => out.push(leaf(prefix, &n.ident)),
        UseTree::Rename(r) => out.push(leaf(prefix, &r.ident)),
        UseTree::Glob(_) if !prefix.is_empty() => out.push(prefix.clone()),
        UseTree::Glob(_) => {}
        UseTree::Group(g) => g.items.iter().for_each(|t| tree_into(t, prefix, out)),
    }
}

/// The `a::b::c` runs (two segments or more) in a macro's tokens, groups included.
fn token_paths(tokens: TokenStream, out: &mut Vec<Vec<String>>) {
    let mut run: Vec<String> = Vec::new();
    // The `:` seen since the run's last identifier: a third identifier needs two.
    let mut colons = 0;
    for tree in tokens {
        match &tree {
            TokenTree::Ident(id) if colons == 2 => {
                run.push(id.to_string());
                colons = 0;
                continue;
            }
            TokenTree::Punct(p)
                if p.as_char() == ':'
                    && !run.is_empty()
                    && colons < 2
                    && (colons == 1 || p.spacing() == Spacing::Joint) =>
            {
                colons += 1;
                continue;
            }
            _ => {}
        }
        end_run(&mut run, out);
        colons = 0;
        match tree {
            TokenTree::Ident(id) => run.push(id.to_string()),
            TokenTree::Group(g) => token_paths(g.stream(), out),
            _ => {}
        }
    }
    end_run(&mut run, out);
}

fn end_run(run: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if run.len() > 1 {
        out.push(std::mem::take(run));
    }
    run.clear();
}
