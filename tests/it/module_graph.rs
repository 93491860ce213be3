//! The shape of `src/`: imports between top-level modules run one way (no cycle), and no file grows
//! past ~400 lines of non-test code without saying why at its top; migrations from 0013 on are
//! numbered alike on both databases. Text only, like a linter.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Non-test lines a source file may have before it must give a reason (a `//! Size:` line).
const LONG_FILE: usize = 420;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// `src/api/icps.rs` → `api`, `src/app.rs` → `app`; `None` for the crate root (lib.rs, main.rs).
fn module_of(file: &Path) -> Option<String> {
    let first = file.strip_prefix(src()).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    let module = name.strip_suffix(".rs").unwrap_or(name);
    (!matches!(module, "lib" | "main")).then(|| module.to_owned())
}

/// The code of `text` without `//` comments (which import nothing).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The top-level modules `code` names as `crate::name` or inside `crate::{a, b::c}`.
fn referenced(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(is_ident) {
            continue; // e.g. `icp_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for item in inner.split(',') {
                let name: String = item.trim().chars().take_while(|c| is_ident(*c)).collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Which module uses which, with the files that do.
fn module_graph() -> (BTreeSet<String>, Graph) {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(f)).collect();
    let mut graph = Graph::new();
    for file in &files {
        let Some(owner) = module_of(file) else {
            continue;
        };
        let code = without_comments(&fs::read_to_string(file).expect("read source"));
        for target in referenced(&code) {
            if target != owner && modules.contains(&target) {
                let shown = file
                    .strip_prefix(src())
                    .unwrap_or(file)
                    .display()
                    .to_string();
                graph
                    .entry(owner.clone())
                    .or_default()
                    .entry(target)
                    .or_default()
                    .insert(shown);
            }
        }
    }
    (modules, graph)
}

/// A path of imports from `from` back to `from`, if there is one.
fn cycle_through(from: &str, graph: &Graph) -> Option<Vec<String>> {
    fn walk(
        at: &str,
        goal: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flat_map(|targets| targets.keys()) {
            if next == goal {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(next, goal, graph, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![from.to_owned()];
    walk(from, from, graph, &mut path, &mut BTreeSet::new()).then(|| {
        path.push(from.to_owned());
        path
    })
}

#[test]
fn top_level_modules_import_one_way() {
    let (modules, graph) = module_graph();
    let cycles: Vec<String> = modules
        .iter()
        .filter_map(|module| cycle_through(module, &graph))
        .map(|cycle| {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    let files = &graph[&pair[0]][&pair[1]];
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    format!("{} -> {} ({})", pair[0], pair[1], files.join(", "))
                })
                .collect();
            steps.join("\n    ")
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles between top-level modules of src/:\n    {}",
        cycles.join("\n\n    ")
    );
}

#[test]
fn the_checker_sees_imports_and_cycles() {
    let code = "use crate::{api::x, store};\nfn f() { crate::icps::create(); } // crate::pages\n";
    let names = referenced(&without_comments(code));
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["api", "icps", "store"]
    );
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph
            .entry(from.into())
            .or_default()
            .entry(to.into())
            .or_default()
            .insert(format!("src/{from}.rs"));
    }
    assert_eq!(
        cycle_through("a", &graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(cycle_through("d", &graph), None);
}

#[test]
fn long_files_say_why() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut unexplained = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("read source");
        let code_lines = text
            .lines()
            .take_while(|line| !line.starts_with("#[cfg(test)]"))
            .count();
        let reason = text
            .lines()
            .take_while(|line| line.starts_with("//!"))
            .any(|line| line.starts_with("//! Size:"));
        if code_lines > LONG_FILE && !reason {
            unexplained.push(format!("{} ({code_lines} lines)", file.display()));
        }
    }
    assert!(
        unexplained.is_empty(),
        "over {LONG_FILE} lines of non-test code with no `//! Size:` line saying why: {unexplained:?}"
    );
}

/// The migration files of one database's folder numbered `from` on, by name.
fn migrations_from(database: &str, from: u32) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(database);
    fs::read_dir(&dir)
        .expect("read migrations")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| {
            name.split('_')
                .next()
                .and_then(|number| number.parse::<u32>().ok())
                .is_some_and(|number| number >= from)
        })
        .collect()
}

#[test]
fn migrations_are_numbered_alike_on_both_databases() {
    // Numbered apart until 0013 (SQLite's 0002 is Postgres's 0003); alike from there on.
    let sqlite = migrations_from("sqlite", 13);
    let postgres = migrations_from("postgres", 13);
    assert!(sqlite.contains("0013_search_targeting.sql"), "{sqlite:?}");
    assert_eq!(
        sqlite, postgres,
        "each migration from 0013 on has the same number and name on both databases"
    );
}
