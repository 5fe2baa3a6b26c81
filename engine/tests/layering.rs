//! The engine's layering, enforced: every module of `engine/src` may use only modules of lower
//! layers (and, within its own layer, only the pairs [`SAME_LAYER`] allows).
//!
//! [`LAYERS`] is the one statement of the order. The test reads every `.rs` file under
//! `engine/src`, takes its top-level module from its path (`sst/reader.rs` is in `sst`), and
//! collects each reference to another top-level module: `crate::m` paths in `use` lines and in
//! code (`use crate::{a, b::c}` groups count each first segment), `crate::Name` where `Name` is a
//! crate-root re-export of `lib.rs` (it counts as the module it comes from), and `super::` paths
//! that climb out of the top-level module to the crate root. Comments, doc comments and string
//! literals are not code and are skipped. It also checks that `lib.rs` declares exactly the
//! modules of [`LAYERS`] and that the layer tables of `lib.rs`'s docs and of
//! `docs/architecture.md` list the same layers and modules in the same order.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom to top: a module may use the modules of every layer below its own.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["error", "perf", "sync"]),
    ("util", &["util"]),
    ("seam", &["fs"]),
    ("names", &["key", "filename"]),
    ("iterators", &["iter"]),
    ("cache", &["cache"]),
    ("codecs", &["wal", "batch", "blob", "manifest", "sst"]),
    ("memtable", &["memtable"]),
    ("version", &["version"]),
    ("compaction", &["compaction"]),
    ("db", &["db"]),
];

/// Uses between two modules of one layer that are allowed: (user, used, why).
const SAME_LAYER: &[(&str, &str, &str)] =
    &[("manifest", "batch", "version edits name keyspaces by the batch's `KeyspaceId`")];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// One reference from a file to a top-level module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ref {
    line: usize,
    /// The top-level module referred to.
    module: String,
    /// The path as written, for the message.
    path: String,
}

/// The text of `src` with comments, string literals and char literals replaced by spaces
/// (newlines kept, so line numbers stay right).
fn code_only(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut out = String::with_capacity(src.len());
    // Blanks `c[from..to]` into `out`.
    let blank = |out: &mut String, from: usize, to: usize| {
        out.extend(c[from..to.min(c.len())].iter().map(|&ch| if ch == '\n' { '\n' } else { ' ' }));
    };
    let mut i = 0;
    while i < c.len() {
        let raw_start = match (at(i), at(i + 1)) {
            ('r', _) => Some(i + 1),
            ('b', 'r') => Some(i + 2),
            _ => None,
        }
        .filter(|_| i == 0 || !is_ident(at(i - 1)));
        let raw_hashes = raw_start.map(|s| (s..).take_while(|&k| at(k) == '#').count());
        if at(i) == '/' && at(i + 1) == '/' {
            let end = (i..c.len()).find(|&k| at(k) == '\n').unwrap_or(c.len());
            blank(&mut out, i, end);
            i = end;
        } else if at(i) == '/' && at(i + 1) == '*' {
            // Block comments nest.
            let (mut depth, mut k) = (0usize, i);
            while k < c.len() {
                if at(k) == '/' && at(k + 1) == '*' {
                    depth += 1;
                    k += 2;
                } else if at(k) == '*' && at(k + 1) == '/' {
                    depth -= 1;
                    k += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    k += 1;
                }
            }
            blank(&mut out, i, k);
            i = k;
        } else if let (Some(s), Some(h)) = (raw_start, raw_hashes) {
            if at(s + h) != '"' {
                out.push(at(i));
                i += 1;
                continue;
            }
            // A raw string (`r"..."`, `r#"..."#`, `br"..."`): it ends at `"` and `h` hashes.
            let mut k = s + h + 1;
            while k < c.len() && !(at(k) == '"' && (1..=h).all(|n| at(k + n) == '#')) {
                k += 1;
            }
            let end = (k + 1 + h).min(c.len());
            blank(&mut out, i, end);
            i = end;
        } else if at(i) == '"' {
            let mut k = i + 1;
            while k < c.len() && at(k) != '"' {
                k += if at(k) == '\\' { 2 } else { 1 };
            }
            let end = (k + 1).min(c.len());
            blank(&mut out, i, end);
            i = end;
        } else if at(i) == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A char literal ('x', '\n', '\'', '\u{1F600}'); a lifetime ('a) has no closing
            // quote two characters on.
            let mut k = if at(i + 1) == '\\' { i + 3 } else { i + 2 };
            while k < c.len() && at(k) != '\'' {
                k += 1;
            }
            let end = (k + 1).min(c.len());
            blank(&mut out, i, end);
            i = end;
        } else {
            out.push(at(i));
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    PathSep,
    Open,
    Close,
    Comma,
    Other,
}

/// Identifiers, `::`, braces and commas of `code`, each with its line.
fn tokens(code: &str) -> Vec<(usize, Tok)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = code.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            c if c.is_alphabetic() || c == '_' => {
                let mut id = c.to_string();
                while let Some(&n) = chars.peek().filter(|n| n.is_alphanumeric() || **n == '_') {
                    id.push(n);
                    chars.next();
                }
                out.push((line, Tok::Ident(id)));
            }
            c if c.is_ascii_digit() => {
                while chars.peek().is_some_and(|n| n.is_alphanumeric() || *n == '_') {
                    chars.next();
                }
                out.push((line, Tok::Other));
            }
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                out.push((line, Tok::PathSep));
            }
            '{' => out.push((line, Tok::Open)),
            '}' => out.push((line, Tok::Close)),
            ',' => out.push((line, Tok::Comma)),
            _ => out.push((line, Tok::Other)),
        }
    }
    out
}

fn ident(t: Option<&(usize, Tok)>) -> Option<&str> {
    match t {
        Some((_, Tok::Ident(s))) => Some(s),
        _ => None,
    }
}

/// The first segments of the items of the group opening at `toks[open]` (`{a::b, c, d::{e}}`
/// gives `a`, `c`, `d`), each with its line.
fn group_heads(toks: &[(usize, Tok)], open: usize) -> Vec<(usize, String)> {
    let mut heads = Vec::new();
    let mut depth = 0usize;
    let mut expect_head = false;
    for (line, t) in &toks[open..] {
        match t {
            Tok::Open => {
                depth += 1;
                expect_head = depth == 1;
            }
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Tok::Comma => expect_head = depth == 1,
            Tok::Ident(s) if expect_head => {
                if s != "self" {
                    heads.push((*line, s.clone()));
                }
                expect_head = false;
            }
            _ => expect_head = false,
        }
    }
    heads
}

/// Every crate-root name `lib.rs` re-exports (`pub use db::{Db, ..}`), with its module.
fn root_reexports(lib_rs: &str) -> BTreeMap<String, String> {
    let toks = tokens(&code_only(lib_rs));
    let mut map = BTreeMap::new();
    for (i, w) in toks.windows(2).enumerate() {
        if ident(w.first()) == Some("pub") && ident(w.get(1)) == Some("use") {
            let Some(module) = ident(toks.get(i + 2)) else { continue };
            let stmt = toks[i + 3..].iter().take_while(|(_, t)| *t != Tok::Other);
            for (_, t) in stmt {
                if let Tok::Ident(name) = t {
                    map.insert(name.clone(), module.to_owned());
                }
            }
        }
    }
    map
}

/// The references to top-level modules in one file, whose module path (from its place under
/// `src`) is `file_path`. `roots` maps crate-root re-exports to their modules.
fn references(
    src: &str,
    file_path: &[String],
    roots: &BTreeMap<String, String>,
) -> Result<Vec<Ref>, String> {
    let toks = tokens(&code_only(src));
    let mut refs = Vec::new();
    // Inline modules (`mod tests { .. }`) open at a brace depth: `super` counts them too.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let resolve = |line: usize, name: &str, path: String, refs: &mut Vec<Ref>| {
        let module = match roots.get(name) {
            Some(m) if layer_of(name).is_none() => m.clone(),
            _ => name.to_owned(),
        };
        if layer_of(&module).is_none() {
            return Err(format!(
                "line {line}: `{path}`: `{name}` is neither a module of LAYERS nor a crate-root \
                 re-export of lib.rs"
            ));
        }
        refs.push(Ref { line, module, path });
        Ok(())
    };
    let mut i = 0;
    while let Some((line, t)) = toks.get(i) {
        let line = *line;
        match t {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            }
            Tok::Ident(kw) if kw == "mod" => {
                if let (Some(_), Some((_, Tok::Open))) = (ident(toks.get(i + 1)), toks.get(i + 2)) {
                    inline.push(depth);
                }
            }
            Tok::Ident(kw)
                if kw == "crate" && toks.get(i + 1).map(|t| &t.1) == Some(&Tok::PathSep) =>
            {
                // `$crate` and `crate::` are the same here; `pub(crate)` has no `::` after it.
                match toks.get(i + 2) {
                    Some((_, Tok::Ident(name))) => {
                        resolve(line, name, format!("crate::{name}"), &mut refs)?;
                    }
                    Some((_, Tok::Open)) => {
                        for (l, name) in group_heads(&toks, i + 2) {
                            resolve(l, &name, format!("crate::{{.., {name}, ..}}"), &mut refs)?;
                        }
                    }
                    _ => {}
                }
            }
            Tok::Ident(kw)
                if kw == "super"
                    && (i == 0 || toks.get(i - 1).map(|t| &t.1) != Some(&Tok::PathSep)) =>
            {
                // A chain `super::super::x`: where does it land?
                let mut ups = 0;
                let mut j = i;
                while ident(toks.get(j)) == Some("super") {
                    ups += 1;
                    if toks.get(j + 1).map(|t| &t.1) != Some(&Tok::PathSep) {
                        break;
                    }
                    j += 2;
                }
                let here = file_path.len() + inline.len();
                if ups >= here {
                    let written = "super::".repeat(ups);
                    match toks.get(j) {
                        Some((_, Tok::Ident(name))) if name != "super" => {
                            resolve(line, name, format!("{written}{name}"), &mut refs)?;
                        }
                        Some((_, Tok::Open)) => {
                            for (l, name) in group_heads(&toks, j) {
                                let path = format!("{written}{{.., {name}, ..}}");
                                resolve(l, &name, path, &mut refs)?;
                            }
                        }
                        _ => {}
                    }
                }
                i = j.max(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(refs)
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src` (`sst/reader.rs` -> `sst::reader`, `sst/mod.rs` ->
/// `sst`, `lib.rs` -> the root).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> =
        rel.iter().map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned()).collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// Every violation of the layering in `src` (one message each).
fn violations(src: &Path) -> Vec<String> {
    let lib_rs = fs::read_to_string(src.join("lib.rs")).unwrap();
    let roots = root_reexports(&lib_rs);
    let mut out = Vec::new();
    let mut used_same_layer: BTreeSet<(String, String)> = BTreeSet::new();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    for file in &files {
        let rel = file.strip_prefix(src).unwrap();
        let path = module_path(rel);
        let Some(top) = path.first() else { continue }; // lib.rs: the root assembles the layers
        let shown = format!("engine/src/{}", rel.display());
        let Some(own) = layer_of(top) else {
            out.push(format!("{shown}: module `{top}` is in no layer: add it to LAYERS"));
            continue;
        };
        let refs = match references(&fs::read_to_string(file).unwrap(), &path, &roots) {
            Ok(refs) => refs,
            Err(e) => {
                out.push(format!("{shown}: {e}"));
                continue;
            }
        };
        for r in refs.iter().filter(|r| r.module != *top) {
            let theirs = layer_of(&r.module).unwrap_or(usize::MAX);
            let allowed = theirs < own
                || (theirs == own && SAME_LAYER.iter().any(|(a, b, _)| a == top && *b == r.module));
            if theirs == own && allowed {
                used_same_layer.insert((top.clone(), r.module.clone()));
            }
            if !allowed {
                let (mine, their_name) = (LAYERS[own].0, LAYERS[theirs].0);
                let why = if theirs == own {
                    format!("the same layer `{mine}`, and SAME_LAYER does not allow this pair")
                } else {
                    format!("layer `{their_name}`, above `{top}`'s layer `{mine}`")
                };
                out.push(format!(
                    "{shown}:{}: `{top}` uses `{}` (module `{}`), which is in {why}",
                    r.line, r.path, r.module
                ));
            }
        }
    }
    for (a, b, _) in SAME_LAYER {
        if !used_same_layer.contains(&(a.to_string(), b.to_string())) {
            out.push(format!("SAME_LAYER allows `{a}` -> `{b}`, which no code uses: remove it"));
        }
    }
    out
}

#[test]
fn no_module_uses_a_higher_layer() {
    let v = violations(&src_dir());
    assert!(v.is_empty(), "layering violations (order: LAYERS in {}):\n{}", file!(), v.join("\n"));
}

#[test]
fn lib_rs_declares_exactly_the_layered_modules() {
    let lib_rs = fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    let toks = tokens(&code_only(&lib_rs));
    let mut declared = BTreeSet::new();
    for (i, (_, t)) in toks.iter().enumerate() {
        if *t == Tok::Ident("mod".into()) {
            if let Some(name) = ident(toks.get(i + 1)) {
                declared.insert(name.to_owned());
            }
        }
    }
    let layered: BTreeSet<String> =
        LAYERS.iter().flat_map(|(_, m)| m.iter().map(|m| m.to_string())).collect();
    assert_eq!(declared, layered, "lib.rs's modules and LAYERS differ");
    let all: Vec<&str> = LAYERS.iter().flat_map(|(_, m)| m.iter().copied()).collect();
    assert_eq!(all.len(), layered.len(), "a module is in two layers");
}

/// The rows `(layer, modules)` of the markdown table whose header starts `| layer | module`
/// in `text` (each line first stripped of `prefix`): modules are the `code` spans of the second
/// column, without a trailing `/` or `.rs`.
fn layer_table(text: &str, prefix: &str) -> Vec<(String, Vec<String>)> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_start_matches(prefix).trim()).collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("| layer | module"))
        .expect("a table whose header starts `| layer | module`");
    lines[start + 2..]
        .iter()
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cols: Vec<&str> = row.split('|').map(str::trim).collect();
            let modules = cols[2]
                .split('`')
                .skip(1)
                .step_by(2)
                .map(|m| m.trim_end_matches('/').trim_end_matches(".rs").to_owned())
                .collect();
            (cols[1].to_owned(), modules)
        })
        .collect()
}

fn expected_rows() -> Vec<(String, Vec<String>)> {
    LAYERS.iter().map(|(l, m)| (l.to_string(), m.iter().map(|m| m.to_string()).collect())).collect()
}

#[test]
fn lib_rs_docs_list_the_layers_bottom_to_top() {
    let lib_rs = fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    assert_eq!(layer_table(&lib_rs, "//!"), expected_rows(), "lib.rs's layer table");
}

#[test]
fn architecture_md_lists_the_layers_top_to_bottom() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/architecture.md");
    let md = fs::read_to_string(path).unwrap();
    let mut rows = expected_rows();
    rows.reverse();
    assert_eq!(layer_table(&md, ""), rows, "docs/architecture.md's layer table");
}

/// The scanner itself, on every form it must see and every form it must skip.
#[test]
fn scanner_finds_references_in_every_form() {
    let src = r##"
use crate::key::Lookup;
use crate::{error::Result, sst::{Table, block::Block}, self};
// use crate::db::Core; (a comment)
/* use crate::db::Core; /* nested */ crate::db */
/// [`crate::db`] in a doc comment
const S: &str = "crate::db::x"; const R: &str = r#"crate::db "quoted" "#;
const C: char = '"'; fn f<'a>(x: &'a u8) -> u8 { crate::memtable::f(*x) }
pub(crate) fn g() {}
mod tests {
    use super::super::iter::X;
    use super::super::super::wal::Y;
}
fn h() -> crate::Options { todo!() }
"##;
    let roots = BTreeMap::from([("Options".to_owned(), "db".to_owned())]);
    let path = vec!["sst".to_owned(), "reader".to_owned()];
    let got: Vec<(usize, String)> =
        references(src, &path, &roots).unwrap().into_iter().map(|r| (r.line, r.module)).collect();
    let want = [(2, "key"), (3, "error"), (3, "sst"), (8, "memtable"), (12, "wal"), (14, "db")];
    let want: Vec<(usize, String)> = want.iter().map(|(l, m)| (*l, m.to_string())).collect();
    assert_eq!(got, want);
    assert!(references("use crate::nowhere;", &path, &roots).is_err());
}

/// A reference upwards is reported with its file, line and path.
#[test]
fn an_upward_use_is_reported() {
    let dir = std::env::temp_dir().join(format!("shale-layering-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("sst")).unwrap();
    fs::write(dir.join("lib.rs"), "pub mod sst;\npub mod db;\npub use db::Db;\n").unwrap();
    fs::write(dir.join("sst/mod.rs"), "use crate::key::Lookup;\n\nuse crate::Db;\n").unwrap();
    fs::write(dir.join("db.rs"), "use crate::sst::Table;\n").unwrap();
    let v = violations(&dir);
    fs::remove_dir_all(&dir).unwrap();
    let upward: Vec<&String> =
        v.iter().filter(|m| m.contains("engine/src/sst/mod.rs:3:")).collect();
    assert_eq!(upward.len(), 1, "{v:#?}");
    assert!(upward[0].contains("`crate::Db` (module `db`)"), "{}", upward[0]);
    assert!(v.iter().all(|m| !m.contains("db.rs")), "{v:#?}");
}
