//! The import check on small made-up crates (each case a circle or not) and on this workspace.

use super::scan::{scan, use_tree};
use super::*;

/// A made-up workspace in the temp dir with one crate `k`, removed on drop.
struct Fake(PathBuf);

impl Fake {
    fn new(tag: &str, files: &[(&str, &str)]) -> Fake {
        let root = std::env::temp_dir().join(format!("zcx-imports-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let file = root.join("crates/k/src").join(path);
            std::fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
            std::fs::write(&file, text).expect("write");
        }
        std::fs::create_dir_all(root.join("xtask")).expect("mkdir");
        Fake(root)
    }

    fn circles(&self) -> Vec<String> {
        let krate = load(&self.0.join("crates/k/src/lib.rs")).expect("load");
        circles(&edges(&krate))
            .iter()
            .map(|c| describe(c))
            .collect()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn siblings_naming_each_other_are_a_circle() {
    let fake = Fake::new(
        "siblings",
        &[
            ("lib.rs", "pub mod a;\npub mod b;\n"),
            ("a.rs", "use crate::b::B;\npub struct A;\n"),
            (
                "b.rs",
                "pub struct B;\nfn f() -> crate::a::A { crate::a::A }\n",
            ),
        ],
    );
    assert_eq!(fake.circles(), ["a <-> b"]);
    assert!(check(&fake.0).is_err(), "a circle fails the check");
}

#[test]
fn a_child_using_its_parents_items_while_the_parent_uses_it_is_a_circle() {
    let fake = Fake::new(
        "parent",
        &[
            ("lib.rs", "pub mod m;\n"),
            ("m/mod.rs", "mod c;\npub struct E;\npub fn f() { c::g() }\n"),
            ("m/c.rs", "use super::E;\npub fn g() {}\n"),
        ],
    );
    assert_eq!(fake.circles(), ["m <-> m::c"]);
}

#[test]
fn re_exports_tests_comments_and_strings_make_no_circle() {
    let fake = Fake::new(
        "clean",
        &[
            (
                "lib.rs",
                "pub mod m;\n#[cfg(test)]\n#[path = \"p.rs\"]\npub(crate) mod props;\n",
            ),
            (
                "m/mod.rs",
                "mod a;\nmod b;\npub use a::A;\npub use b::{self, B};\n\
                 #[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
            ),
            ("m/a.rs", "pub struct A;\n// use super::b::B;\n"),
            (
                "m/b.rs",
                "use super::A; // through the re-export: a, not m\n\
                 pub struct B(A);\nconst S: &str = r#\"crate::m::x\"#;\n\
                 const C: char = '\"';\nconst Q: char = '\\'';\nconst O: char = '{';\n\
                 fn f<'a>(_: &'a str) {}\n",
            ),
            ("p.rs", "use crate::m::B;\n"),
        ],
    );
    assert_eq!(fake.circles(), Vec::<String>::new());
    let krate = load(&fake.0.join("crates/k/src/lib.rs")).expect("load");
    let graph = edges(&krate);
    let m_b: ModPath = vec!["m".into(), "b".into()];
    let m_a: ModPath = vec!["m".into(), "a".into()];
    assert_eq!(graph[&m_b], BTreeSet::from([m_a]));
    assert_eq!(graph[&vec!["props".to_owned()]], BTreeSet::from([m_b]));
    assert_eq!(layers(&graph), 3, "props -> m::b -> m::a");
}

#[test]
fn use_trees_expand_into_full_paths() {
    let item: syn::ItemUse =
        syn::parse_str("use super::{a::{self, B as C}, d, e::*};").expect("a use item");
    let paths: Vec<String> = use_tree(&item.tree).iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["super::a", "super::a::B", "super::d", "super::e"]);
}

#[test]
fn macro_arguments_name_paths_and_comments_do_not() {
    let text = "/* a /* nested */ crate::x */ fn f() { assert!(crate::a::ok(), \"{}\", b::C); }";
    let named: Vec<String> = scan(text)
        .expect("parses")
        .paths
        .iter()
        .map(|n| n.segments.join("::"))
        .collect();
    assert_eq!(named, ["crate::a::ok", "b::C"]);
    assert!(scan("fn f( {").is_err(), "a syntax error is an error");
}

#[test]
fn this_workspace_has_no_import_circle() {
    if let Err(e) = check(&crate::cmd::workspace_root()) {
        panic!("{e:#}");
    }
}
