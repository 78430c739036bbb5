//! Issue 30: every `match` on an `Action` outside the tests lists the variants it handles, so a
//! new variant does not compile until each place has decided what it does with it.
//!
//! This test parses every non-test source file of the workspace (each member's `src/` and
//! `examples/` and its `build.rs`, without `#[cfg(test)]` modules and `#[test]` functions) and
//! fails, naming file and line, on
//! - a `match` with an arm whose pattern names `Action::…` (or `Self::…` inside `impl Action`)
//!   and a catch-all arm: `_`, a bare binding, or a tuple of them, without a guard. A guarded
//!   `_ if …` arm stays allowed: the compiler still wants every variant listed after it;
//! - a `matches!` whose pattern names `Action::…`: it classifies actions, and a new variant
//!   silently falls out of the class. A fact about an action belongs in `Action::info()`; a test
//!   of what one action did is better made on its effect.
//!
//! Not seen: matches inside macro bodies that are not lists of expressions (`tokio::select!`),
//! and `if let Action::X = …` (one variant, by construction).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Attribute, Expr, Meta, Pat, Token};

/// The repository root (the main workspace's): the parent of this crate.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().expect("the checks crate sits in the repository root").to_path_buf()
}

/// The member directories named by the root `Cargo.toml`.
fn members(root: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(root.join("Cargo.toml")).expect("the root Cargo.toml");
    let manifest: toml::Table = text.parse().expect("the root Cargo.toml parses");
    let members = manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .expect("[workspace] members = [...] in the root Cargo.toml");
    members.iter().map(|m| root.join(m.as_str().expect("a member is a path string"))).collect()
}

fn rust_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The non-test source files of a member: `src/`, `examples/` and `build.rs` (never `tests/`,
/// `benches/` or another test target's directory).
fn source_files(member: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["src", "examples"] {
        rust_files_under(&member.join(dir), &mut files);
    }
    let build = member.join("build.rs");
    if build.is_file() {
        files.push(build);
    }
    files.sort();
    files
}

/// Whether a `#[cfg(…)]` predicate holds only in test builds: `test` or `all(…, test, …)`.
fn cfg_test_only(meta: &Meta) -> bool {
    match meta {
        Meta::Path(p) => p.is_ident("test"),
        Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
            .is_ok_and(|metas| metas.iter().any(cfg_test_only)),
        Meta::List(_) | Meta::NameValue(_) => false,
    }
}

/// Whether an item is test code: `#[cfg(test)]` (or `all(test, …)`), or a `#[test]` function.
fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        if path.is_ident("cfg") {
            a.parse_args::<Meta>().is_ok_and(|m| cfg_test_only(&m))
        } else {
            path.segments.last().is_some_and(|s| s.ident == "test")
        }
    })
}

/// Whether a pattern names a variant of `Action` (`Action::X`, `ebl_ledger::Action::X`, or
/// `Self::X` inside `impl Action`).
fn names_action(pat: &Pat, self_is_action: bool) -> bool {
    struct Paths {
        self_is_action: bool,
        hit: bool,
    }
    impl Visit<'_> for Paths {
        fn visit_path(&mut self, path: &syn::Path) {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            if let Some((_, prefix)) = segments.split_last() {
                let via_self = self.self_is_action && prefix.first().is_some_and(|s| s == "Self");
                if prefix.iter().any(|s| s == "Action") || via_self {
                    self.hit = true;
                }
            }
            visit::visit_path(self, path);
        }
    }
    let mut paths = Paths { self_is_action, hit: false };
    paths.visit_pat(pat);
    paths.hit
}

/// Whether a pattern matches every value: `_`, a binding, or a tuple (reference, parentheses)
/// of such patterns.
fn catch_all(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) | Pat::Rest(_) => true,
        Pat::Ident(p) => match &p.subpat {
            Some((_, sub)) => catch_all(sub),
            // A lower-case name is a binding; `None` or a constant is not.
            None => p.ident.to_string().starts_with(|c: char| c.is_lowercase() || c == '_'),
        },
        Pat::Tuple(t) => t.elems.iter().all(catch_all),
        Pat::Paren(p) => catch_all(&p.pat),
        Pat::Reference(r) => catch_all(&r.pat),
        Pat::Type(t) => catch_all(&t.pat),
        Pat::Or(o) => o.cases.iter().any(catch_all),
        _ => false,
    }
}

/// `matches!(expression, pattern [if guard] [,])`.
fn parse_matches(input: ParseStream<'_>) -> syn::Result<(Expr, Pat)> {
    let expr: Expr = input.parse()?;
    input.parse::<Token![,]>()?;
    let pat = Pat::parse_multi_with_leading_vert(input)?;
    if input.peek(Token![if]) {
        input.parse::<Token![if]>()?;
        input.parse::<Expr>()?;
    }
    input.parse::<Option<Token![,]>>()?;
    Ok((expr, pat))
}

/// What one file holds.
#[derive(Debug, Default)]
struct Findings {
    /// `file:line: what`, one per offence.
    offences: Vec<String>,
    /// How many `match`es name an `Action` variant (a scan that finds none saw nothing).
    action_matches: usize,
    /// The files of the `#[cfg(test)] mod name;` this file declares.
    test_modules: Vec<PathBuf>,
}

struct Finder<'a> {
    file: &'a str,
    /// Where `mod name;` looks for `name.rs`, for the module being visited.
    module_dir: PathBuf,
    /// The directory a `#[path]` is relative to (the file's own directory).
    file_dir: PathBuf,
    self_is_action: bool,
    findings: Findings,
}

impl Finder<'_> {
    fn offence(&mut self, line: usize, what: String) {
        self.findings.offences.push(format!("{}:{line}: {what}", self.file));
    }
}

impl Visit<'_> for Finder<'_> {
    fn visit_item_mod(&mut self, item: &syn::ItemMod) {
        let name = item.ident.to_string();
        if is_test(&item.attrs) {
            if item.content.is_none() {
                let explicit = item.attrs.iter().find_map(|a| match &a.meta {
                    Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
                        Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                        _ => None,
                    },
                    _ => None,
                });
                let modules = &mut self.findings.test_modules;
                match explicit {
                    Some(path) => modules.push(self.file_dir.join(path)),
                    None => {
                        modules.push(self.module_dir.join(format!("{name}.rs")));
                        modules.push(self.module_dir.join(&name).join("mod.rs"));
                    }
                }
            }
            return;
        }
        let outer = self.module_dir.clone();
        self.module_dir = outer.join(&name);
        visit::visit_item_mod(self, item);
        self.module_dir = outer;
    }

    fn visit_item_fn(&mut self, item: &syn::ItemFn) {
        if !is_test(&item.attrs) {
            visit::visit_item_fn(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &syn::ImplItemFn) {
        if !is_test(&item.attrs) {
            visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_item_impl(&mut self, item: &syn::ItemImpl) {
        if is_test(&item.attrs) {
            return;
        }
        let outer = self.self_is_action;
        self.self_is_action = match &*item.self_ty {
            syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Action"),
            _ => false,
        };
        visit::visit_item_impl(self, item);
        self.self_is_action = outer;
    }

    fn visit_expr_match(&mut self, m: &syn::ExprMatch) {
        if m.arms.iter().any(|arm| names_action(&arm.pat, self.self_is_action)) {
            self.findings.action_matches += 1;
            if let Some(arm) = m.arms.iter().find(|arm| arm.guard.is_none() && catch_all(&arm.pat)) {
                let line = m.match_token.span.start().line;
                let arm_line = arm.pat.span().start().line;
                self.offence(
                    line,
                    format!(
                        "a match on Action with a catch-all arm (line {arm_line}): list the variants, or \
                         read the fact from Action::info()"
                    ),
                );
            }
        }
        visit::visit_expr_match(self, m);
    }

    fn visit_macro(&mut self, mac: &syn::Macro) {
        let line = mac.path.span().start().line;
        if mac.path.segments.last().is_some_and(|s| s.ident == "matches") {
            match mac.parse_body_with(parse_matches) {
                Ok((expr, pat)) => {
                    if names_action(&pat, self.self_is_action) {
                        self.offence(
                            line,
                            "matches! on Action classifies actions: a new variant would fall out of the \
                             class silently; make it a field of Action::info()"
                                .into(),
                        );
                    }
                    self.visit_expr(&expr);
                }
                Err(e) => self.offence(line, format!("cannot read this matches!: {e}")),
            }
        } else if let Ok(exprs) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            // assert!, format!, vec![…], …: their arguments are code too.
            for expr in &exprs {
                self.visit_expr(expr);
            }
        }
    }
}

/// Whether `file` is a crate root or a `mod.rs`, whose `mod name;` live beside it.
fn owns_its_directory(file: &Path) -> bool {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = file.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    matches!(name, "lib.rs" | "main.rs" | "mod.rs" | "build.rs") || parent == "bin" || parent == "examples"
}

/// The findings of one source text.
fn scan(file: &Path, label: &str, text: &str) -> Findings {
    let syntax = match syn::parse_file(text) {
        Ok(syntax) => syntax,
        Err(e) => {
            let line = e.span().start().line;
            return Findings {
                offences: vec![format!("{label}:{line}: does not parse: {e}")],
                ..Findings::default()
            };
        }
    };
    let file_dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let module_dir = if owns_its_directory(file) {
        file_dir.clone()
    } else {
        file_dir.join(file.file_stem().unwrap_or_default())
    };
    let mut finder =
        Finder { file: label, module_dir, file_dir, self_is_action: false, findings: Findings::default() };
    finder.visit_file(&syntax);
    finder.findings
}

#[test]
fn no_match_on_an_action_outside_the_tests_has_a_catch_all_arm() {
    let root = workspace_root();
    let mut scanned = Vec::new();
    let mut test_modules = BTreeSet::new();
    for member in members(&root) {
        for file in source_files(&member) {
            let text = std::fs::read_to_string(&file).expect("a source file");
            let label = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
            let findings = scan(&file, &label, &text);
            test_modules.extend(findings.test_modules.iter().cloned());
            scanned.push((file, findings));
        }
    }
    // A file that is a `#[cfg(test)]` module, or lies under one, is test code.
    let is_test_file = |file: &Path| {
        test_modules
            .iter()
            .any(|m| file == m || m.file_stem().is_some_and(|stem| file.starts_with(m.with_file_name(stem))))
    };
    let mut offences = Vec::new();
    let mut action_matches = 0;
    let mut files = 0;
    for (file, findings) in &scanned {
        if is_test_file(file) {
            continue;
        }
        files += 1;
        action_matches += findings.action_matches;
        offences.extend(findings.offences.iter().cloned());
    }
    assert!(
        offences.is_empty(),
        "a new Action variant would slip past these places silently:\n  {}",
        offences.join("\n  ")
    );
    // A scan that saw nothing proves nothing: the action table alone matches on every variant
    // four times.
    assert!(files > 50 && action_matches >= 4, "scanned {files} files, {action_matches} matches on Action");
}

/// The checker itself, on small sources: it must see what it is meant to see.
#[test]
fn the_checker_sees_catch_alls_and_classifications_and_skips_tests() {
    let offences = |text: &str| scan(Path::new("src/x.rs"), "x.rs", text).offences;
    let wildcard = "fn f(a: &Action) -> u8 {\n match a {\n Action::Sign { .. } => 1,\n _ => 0,\n }\n}";
    assert!(offences(wildcard)[0].starts_with("x.rs:2: a match on Action"), "{:?}", offences(wildcard));
    // (what, source, how many offences)
    let cases = [
        ("a wildcard arm", wildcard, 1),
        (
            "a binding in a tuple",
            "fn f(a: &Action) -> u8 { match (s, a) { (S::A, Action::Sign { .. }) => 1, (_, other) => 0 } }",
            1,
        ),
        (
            "Self inside impl Action",
            "impl Action { fn f(&self) -> u8 { match self { Self::Sign { .. } => 1, _ => 0 } } }",
            1,
        ),
        (
            "a guarded wildcard",
            "fn f(a: &Action) -> u8 { match a { _ if x => 2, Action::Sign { .. } => 1, Action::Issue(_) => 0 } }",
            0,
        ),
        ("another enum", "fn f(a: &Role) -> u8 { match a { Role::Bank => 1, _ => 0 } }", 0),
        (
            "a classification",
            "fn f(a: &Action) -> bool { matches!(a, Action::Sign { .. } | Action::Issue(_)) }",
            1,
        ),
        (
            "inside a macro's arguments",
            "fn f(a: &Action) { assert!(match a { Action::Sign { .. } => true, _ => false }); }",
            1,
        ),
        (
            "in a test module",
            "#[cfg(test)]\nmod tests { fn f(a: &Action) -> u8 { match a { Action::Sign { .. } => 1, _ => 0 } } }",
            0,
        ),
        ("in a test function", "#[test]\nfn f() { assert!(matches!(a, Action::Sign { .. })) }", 0),
    ];
    for (what, text, expected) in cases {
        assert_eq!(offences(text).len(), expected, "{what}: {:?}", offences(text));
    }
    let declared = scan(
        Path::new("/w/c/src/bin/ebl.rs"),
        "ebl.rs",
        "#[cfg(test)]\n#[path = \"ebl/tests.rs\"]\nmod tests;",
    );
    assert_eq!(declared.test_modules, vec![PathBuf::from("/w/c/src/bin/ebl/tests.rs")]);
    let nested = scan(Path::new("/w/c/src/a.rs"), "a.rs", "#[cfg(all(test, unix))]\nmod t;");
    assert_eq!(
        nested.test_modules,
        vec![PathBuf::from("/w/c/src/a/t.rs"), PathBuf::from("/w/c/src/a/t/mod.rs")]
    );
    let not_test = scan(Path::new("/w/c/src/a.rs"), "a.rs", "#[cfg(not(test))]\nmod t;");
    assert!(not_test.test_modules.is_empty());
}
