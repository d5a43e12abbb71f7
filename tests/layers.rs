//! The crate's layers depend only downward, and no modules depend on each other in a cycle:
//! read from the `crate::` paths in every source file (`cargo test --test layers`).
//!
//! Layers, lowest first: `core` (names, secrets, errors, environment, clock), `store`
//! (backends, index, transactions), `ops` (resolution and what is done with stored values),
//! `net` (the HTTP stack), `auth` (verification), `helpers` (credential-helper protocols),
//! `cli` (clap definitions, the printer, prompts and commands).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: &[&str] = &["core", "store", "ops", "net", "auth", "helpers", "cli"];

/// Names the crate root re-exports from `core`, usable from anywhere as `crate::Name`.
const ROOT_REEXPORTS: &[&str] = &[
    "App",
    "Env",
    "Error",
    "ErrorKind",
    "PathFix",
    "ProfileName",
    "Result",
    "Secret",
    "SecretName",
    "Service",
    "ServiceConfig",
    "ServiceName",
    "TokenOrigin",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/store/txn.rs` → `store::txn`; `src/cli/commands/mod.rs` → `cli::commands`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// Every module path named after `crate::` in `text`, including the members of
/// `use crate::{a::b, c}` groups (one level of braces, as rustfmt writes them).
fn crate_paths(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let path: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                if !path.is_empty() {
                    out.push(path);
                }
            }
        } else {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(path);
        }
    }
    out
}

/// `text` without its test-only items: each `#[cfg(test)]` and the item after it, up to its
/// `;` (`mod tests;`, a `use`) or to the brace closing its block (braces in string and
/// character literals do not count). Only those: the code after them is checked too.
fn without_tests(text: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i]);
        rest = &rest[i + MARK.len()..];
        rest = &rest[item_end(rest)..];
    }
    out.push_str(rest);
    out
}

/// Where the item at the start of `text` ends: after its `;`, or after its block's `}`.
fn item_end(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 2,
            b';' if depth == 0 => return i + 1,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    text.len()
}

/// The deepest known module a path names (`store::txn::Txn` → `store::txn`).
fn target_module(path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (1..=segs.len())
        .rev()
        .map(|n| segs[..n].join("::"))
        .find(|m| modules.contains(m))
}

fn layer_of(module: &str) -> Option<usize> {
    let top = module.split("::").next()?;
    LAYERS.iter().position(|l| *l == top)
}

#[test]
fn layers_depend_only_downward_and_modules_have_no_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for f in &files {
        let from = module_of(&src, f);
        // The crate root, and unit-test modules (they test how the layers work together).
        if from == "lib" || from == "main" || from.ends_with("_tests") {
            continue;
        }
        let Some(from_layer) = layer_of(&from) else {
            wrong.push(format!("{from}: not in a layer folder ({})", LAYERS.join(", ")));
            continue;
        };
        // Unit tests may reach across (they test how the layers work together).
        if from.ends_with("::tests") {
            continue;
        }
        let text = without_tests(&std::fs::read_to_string(f).unwrap());
        for path in crate_paths(&text) {
            let first = path.split("::").next().unwrap_or_default();
            if ROOT_REEXPORTS.contains(&first) {
                continue;
            }
            let Some(to) = target_module(&path, &modules) else {
                wrong.push(format!("{from}: `crate::{path}` names no module"));
                continue;
            };
            if to == "cli" && from.starts_with("cli::commands") {
                wrong.push(format!(
                    "{from}: a command calls the parser back (`crate::{path}`)"
                ));
                continue;
            }
            if to == from || from.starts_with(&format!("{to}::")) {
                continue; // itself, or its own parent module (re-exports)
            }
            match layer_of(&to) {
                Some(l) if l > from_layer => wrong.push(format!(
                    "{from} ({}) uses {to} ({}), a higher layer",
                    LAYERS[from_layer], LAYERS[l]
                )),
                _ => {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    assert!(wrong.is_empty(), "layering violations:\n  {}", wrong.join("\n  "));

    // No cycles among modules (a parent's re-exports count as the parent).
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        match state.get(m) {
            Some(2) => return,
            Some(1) => {
                let at = stack.iter().position(|s| s == m).unwrap_or(0);
                cycles.push(format!("{} -> {m}", stack[at..].join(" -> ")));
                return;
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for n in edges.get(m).into_iter().flatten() {
            visit(n, edges, state, stack, cycles);
        }
        stack.pop();
        state.insert(m.to_string(), 2);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for m in edges.keys() {
        visit(m, &edges, &mut state, &mut Vec::new(), &mut cycles);
    }
    assert!(cycles.is_empty(), "module cycles:\n  {}", cycles.join("\n  "));
}

#[test]
fn only_the_test_items_are_left_out() {
    let text = "use crate::a;\n#[cfg(test)]\nmod tests;\nuse crate::b;\n#[cfg(test)]\nmod t {\n    \
                fn f() { let _ = \"}\"; let _ = '{'; crate::x(); }\n}\nfn g() { crate::c(); }\n";
    assert_eq!(crate_paths(&without_tests(text)), ["a", "b", "c"]);
}

#[test]
fn the_path_reader_sees_groups_and_nested_paths() {
    let got = crate_paths(
        "use crate::{App, store::txn::Txn};\nlet x = crate::core::clock::now(); // crate::nope\n",
    );
    assert_eq!(got, ["App", "store::txn::Txn", "core::clock::now"]);
}
