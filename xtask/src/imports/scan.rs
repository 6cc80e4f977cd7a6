//! Reading one Rust source file for the import check: a small tokenizer (identifiers, `::`,
//! punctuation and string literals; comments, lifetimes and numbers dropped), the modules it
//! declares (`mod a;`, with `#[path]`), and every module path it names (`use` trees, `pub use`
//! re-exports, and paths in code that start with `crate`, `super`, `self` or one of its own
//! child modules), each with the inline module (`mod tests { }`) it was found in.

/// One token of Rust source, as far as the import check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Ident(String),
    /// `::`
    PathSep,
    /// A string literal's contents (escapes left as written).
    Str(String),
    Punct(char),
}

/// Splits `src` into tokens.
pub fn tokenize(src: &str) -> Vec<Token> {
    let s: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&s, i);
        } else if c == 'r' && matches!(next, Some('"' | '#')) && raw_string_start(&s, i) {
            i = raw_string(&s, i, &mut out);
        } else if c == '"' {
            i = string(&s, i, &mut out);
        } else if c == '\'' {
            i = quote(&s, i);
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                i += 1;
            }
            if !c.is_ascii_digit() {
                out.push(Token::Ident(s[start..i].iter().collect()));
            }
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

fn skip_block_comment(s: &[char], mut i: usize) -> usize {
    let mut depth = 0;
    while i < s.len() {
        if s[i] == '/' && s.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// Whether `r` at `i` starts a raw string (`r"`, `r#"`, ...) rather than ending an identifier.
fn raw_string_start(s: &[char], i: usize) -> bool {
    let after_ident = i > 0 && (s[i - 1].is_alphanumeric() || s[i - 1] == '_');
    let mut j = i + 1;
    while s.get(j) == Some(&'#') {
        j += 1;
    }
    !after_ident && s.get(j) == Some(&'"')
}

fn raw_string(s: &[char], i: usize, out: &mut Vec<Token>) -> usize {
    let mut j = i + 1;
    let mut hashes = 0;
    while s[j] == '#' {
        hashes += 1;
        j += 1;
    }
    let start = j + 1;
    let mut k = start;
    while k < s.len() {
        if s[k] == '"' && (0..hashes).all(|h| s.get(k + 1 + h) == Some(&'#')) {
            out.push(Token::Str(s[start..k].iter().collect()));
            return k + 1 + hashes;
        }
        k += 1;
    }
    k
}

fn string(s: &[char], i: usize, out: &mut Vec<Token>) -> usize {
    let mut k = i + 1;
    while k < s.len() && s[k] != '"' {
        k += if s[k] == '\\' { 2 } else { 1 };
    }
    out.push(Token::Str(s[i + 1..k.min(s.len())].iter().collect()));
    k + 1
}

/// Skips a char literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime's quote (`'a`).
fn quote(s: &[char], i: usize) -> usize {
    if s.get(i + 1) == Some(&'\\') {
        // Past the escaped character, so that `'\''` ends at its last quote.
        let mut k = i + 3;
        while k < s.len() && s[k] != '\'' {
            k += 1;
        }
        return k + 1;
    }
    if s.get(i + 2) == Some(&'\'') {
        return i + 3;
    }
    i + 1
}

/// What one file declares and names.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FileScan {
    /// `mod a;` declarations: the name and its `#[path]`, if any.
    pub declared: Vec<(String, Option<String>)>,
    /// Paths named (`crate::a::B`, `super::c`, `self::d::E`, `child::f`), each with the inline
    /// modules it sits in (for `super`), and whether it is a `pub use` re-export.
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

/// Scans a file's tokens.
pub fn scan(tokens: &[Token]) -> FileScan {
    let mut out = FileScan::default();
    // Inline modules open now, with the brace depth at which each closes.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Token::Ident(w) if w == "mod" => {
                if let (Some(Token::Ident(name)), Some(next)) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    if *next == Token::Punct(';') && inline.is_empty() {
                        out.declared.push((name.clone(), path_attr(tokens, i)));
                    } else if *next == Token::Punct('{') {
                        inline.push((name.clone(), depth));
                    }
                    i += 2;
                    continue;
                }
            }
            Token::Ident(w) if w == "use" => {
                let end = (i..tokens.len())
                    .find(|&k| tokens[k] == Token::Punct(';'))
                    .unwrap_or(tokens.len());
                let reexport = is_pub(tokens, i);
                let names: Vec<String> = inline.iter().map(|(n, _)| n.clone()).collect();
                for segments in use_tree(&tokens[i + 1..end]) {
                    out.paths.push(Named {
                        inline: names.clone(),
                        segments,
                        reexport,
                    });
                }
                i = end;
                continue;
            }
            Token::Ident(_) if !follows_path_sep(tokens, i) => {
                let segments = path_at(tokens, i);
                if segments.len() > 1 {
                    out.paths.push(Named {
                        inline: inline.iter().map(|(n, _)| n.clone()).collect(),
                        segments,
                        reexport: false,
                    });
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn follows_path_sep(tokens: &[Token], i: usize) -> bool {
    i > 0 && tokens[i - 1] == Token::PathSep
}

/// `a::b::c` starting at `i` (identifiers joined by `::`).
fn path_at(tokens: &[Token], mut i: usize) -> Vec<String> {
    let mut segments = Vec::new();
    while let Some(Token::Ident(w)) = tokens.get(i) {
        segments.push(w.clone());
        if tokens.get(i + 1) != Some(&Token::PathSep) {
            break;
        }
        i += 2;
    }
    segments
}

/// Whether the `use` at `i` is `pub use` or `pub(...) use`.
fn is_pub(tokens: &[Token], i: usize) -> bool {
    let ident = |k: usize, w: &str| matches!(tokens.get(k), Some(Token::Ident(x)) if x == w);
    (i >= 1 && ident(i - 1, "pub"))
        || (i >= 2 && tokens[i - 1] == Token::Punct(')') && {
            let open = (0..i).rev().find(|&k| tokens[k] == Token::Punct('('));
            open.is_some_and(|k| k >= 1 && ident(k - 1, "pub"))
        })
}

/// The `#[path = "..."]` right before the `mod` at `i`.
fn path_attr(tokens: &[Token], i: usize) -> Option<String> {
    let mut k = i;
    if matches!(tokens.get(k.wrapping_sub(1)), Some(Token::Ident(w)) if w == "pub") {
        k -= 1;
    }
    match tokens.get(k.checked_sub(6)?..k)? {
        [Token::Punct('#'), Token::Punct('['), Token::Ident(p), Token::Punct('='), Token::Str(path), Token::Punct(']')]
            if p == "path" =>
        {
            Some(path.clone())
        }
        _ => None,
    }
}

/// Every full path of a use tree (`a::{b, c::{d, self}}` → `a::b`, `a::c::d`, `a::c`); `as`
/// renames and `*` are dropped.
pub fn use_tree(tokens: &[Token]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    tree_into(tokens, &[], &mut out);
    out
}

fn tree_into(tokens: &[Token], prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Ident(w) if w == "as" => break,
            Token::Ident(w) if w == "self" && !path.is_empty() => {}
            Token::Ident(w) => path.push(w.clone()),
            Token::Punct('{') => {
                let close = matching_brace(tokens, i);
                for part in split_top_level(&tokens[i + 1..close]) {
                    tree_into(part, &path, out);
                }
                return;
            }
            _ => {}
        }
        i += 1;
    }
    if path.len() > prefix.len()
        || tokens
            .iter()
            .any(|t| matches!(t, Token::Ident(w) if w == "self"))
    {
        out.push(path);
    }
}

fn matching_brace(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (k, t) in tokens.iter().enumerate() {
        match t {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => depth -= 1,
            Token::Punct(',') if depth == 0 => {
                parts.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}
