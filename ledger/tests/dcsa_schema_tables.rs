//! The generator of `src/dcsa/schema_tables.rs`, the tables `dcsa::check_required_fields` checks
//! a TransportDocument against.
//!
//! It reads the DCSA specification `tests/fixtures/dcsa/EBL_v3.0.4.yaml`, walks
//! `components/schemas/TransportDocument` and every schema it reaches (`$ref`, `allOf`, `oneOf`,
//! `anyOf`, `items`), renders the Rust source of the tables and compares it with the file on disk:
//! a hand edit of the tables, or a change of the YAML, fails this test. With
//! `EBL_REGENERATE_DCSA=1` it writes the file instead:
//!
//! ```sh
//! EBL_REGENERATE_DCSA=1 cargo test --workspace --locked --test dcsa_schema_tables
//! ```
//!
//! The test links the ledger library, so the file must compile to be regenerated: after a bad hand
//! edit, `git checkout` it first.
//!
//! What the checker can express is what the generator accepts: a schema keyword it does not know
//! (say `not`, or `nullable`) is a panic naming the schema, not a table that silently checks less.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use saphyr::{LoadableYamlNode, Yaml};

/// The environment variable that makes the test write the file instead of comparing.
const REGENERATE: &str = "EBL_REGENERATE_DCSA";
const SPEC: &str = "tests/fixtures/dcsa/EBL_v3.0.4.yaml";
const TABLES: &str = "src/dcsa/schema_tables.rs";
const ROOT: &str = "TransportDocument";
/// Every `$ref` this generator follows starts so.
const REF_PREFIX: &str = "#/components/schemas/";

/// Keywords that constrain values the checker does not look at (formats, patterns, lengths,
/// ranges, enumerations) or only document.
const IGNORED: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "deprecated",
    "format",
    "pattern",
    "enum",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "maxItems",
];

/// The keywords the generator turns into tables.
const STRUCTURAL: &[&str] =
    &["type", "properties", "required", "items", "minItems", "$ref", "allOf", "oneOf", "anyOf"];

/// A member's type, as `dcsa::schema::Ty` has it; objects are named by their schema.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ty {
    String,
    Boolean,
    Integer,
    Number,
    Object(String),
    Strings(u64),
    Objects(String, u64),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Member {
    name: String,
    ty: Ty,
    required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Alternatives {
    exclusive: bool,
    members: Vec<String>,
}

/// An object schema flattened: its own properties, then those of its `allOf` parts, then those its
/// `oneOf`/`anyOf` alternatives add, each once, in the specification's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Table {
    members: Vec<Member>,
    alternatives: Option<Alternatives>,
}

struct Spec<'a> {
    schemas: &'a Yaml<'a>,
}

fn get<'a>(node: &'a Yaml<'a>, key: &str) -> Option<&'a Yaml<'a>> {
    node.as_mapping_get(key)
}

fn text<'a>(node: &'a Yaml<'a>, what: &str) -> &'a str {
    node.as_str().unwrap_or_else(|| panic!("{what} is not a string: {node:?}"))
}

fn list<'a>(node: &'a Yaml<'a>, what: &str) -> &'a [Yaml<'a>] {
    node.as_sequence().unwrap_or_else(|| panic!("{what} is not a list: {node:?}")).as_slice()
}

/// The keys of a mapping, in the document's order.
fn keys<'a>(node: &'a Yaml<'a>, what: &str) -> Vec<&'a str> {
    let mapping = node.as_mapping().unwrap_or_else(|| panic!("{what} is not a mapping: {node:?}"));
    mapping.keys().map(|key| text(key, what)).collect()
}

impl<'a> Spec<'a> {
    fn schema(&self, name: &str) -> &'a Yaml<'a> {
        get(self.schemas, name).unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn ref_name(node: &'a Yaml<'a>, at: &str) -> &'a str {
        let target = text(node, at);
        target.strip_prefix(REF_PREFIX).unwrap_or_else(|| panic!("{at}: unsupported $ref {target}"))
    }

    /// Fails on a keyword the checker cannot express.
    fn known_keywords(node: &'a Yaml<'a>, at: &str) {
        for key in keys(node, at) {
            assert!(
                IGNORED.contains(&key) || STRUCTURAL.contains(&key),
                "{at}: the keyword `{key}` is not supported by the generator (nor by the checker)"
            );
        }
    }

    /// Whether `node` describes an object (`type: object`, or no type but properties or
    /// alternatives), following `$ref` and a single `allOf` part.
    fn is_object(&self, node: &'a Yaml<'a>, at: &str) -> bool {
        if let Some(target) = get(node, "$ref") {
            return self.is_object(self.schema(Self::ref_name(target, at)), at);
        }
        if let Some([only]) = get(node, "allOf").map(|parts| list(parts, at)) {
            return self.is_object(only, at);
        }
        match get(node, "type").map(|t| text(t, at)) {
            Some("object") => true,
            Some(_) => false,
            None => {
                get(node, "properties").is_some()
                    || ["allOf", "oneOf", "anyOf"].iter().any(|k| get(node, k).is_some())
            }
        }
    }

    /// The type of a member whose schema is `node`.
    fn member_type(&self, node: &'a Yaml<'a>, at: &str) -> Ty {
        Self::known_keywords(node, at);
        if let Some(target) = get(node, "$ref") {
            let name = Self::ref_name(target, at);
            let schema = self.schema(name);
            return if self.is_object(schema, at) {
                Ty::Object(name.to_string())
            } else {
                self.member_type(schema, name)
            };
        }
        if let Some(parts) = get(node, "allOf") {
            match list(parts, at) {
                [only] => return self.member_type(only, at),
                _ => panic!("{at}: a member with several allOf parts is not supported"),
            }
        }
        for keyword in ["oneOf", "anyOf", "properties"] {
            assert!(get(node, keyword).is_none(), "{at}: an inline `{keyword}` member is not supported");
        }
        let kind = get(node, "type").map(|t| text(t, at)).unwrap_or_else(|| panic!("{at}: no type"));
        assert!(kind == "array" || get(node, "minItems").is_none(), "{at}: minItems on a {kind}");
        match kind {
            "string" => Ty::String,
            "boolean" => Ty::Boolean,
            "integer" => Ty::Integer,
            "number" => Ty::Number,
            "array" => {
                let min_items = get(node, "minItems").map_or(0, |m| {
                    let min = m.as_integer().unwrap_or_else(|| panic!("{at}: minItems {m:?}"));
                    u64::try_from(min).unwrap_or_else(|_| panic!("{at}: minItems {min}"))
                });
                let items = get(node, "items").unwrap_or_else(|| panic!("{at}: an array without items"));
                match self.member_type(items, &format!("{at}[]")) {
                    Ty::String => Ty::Strings(min_items),
                    Ty::Object(name) => Ty::Objects(name, min_items),
                    other => panic!("{at}: arrays of {other:?} are not supported"),
                }
            }
            other => panic!("{at}: the type `{other}` is not supported"),
        }
    }

    /// The flattened object schema `node`.
    fn table(&self, node: &'a Yaml<'a>, at: &str) -> Table {
        Self::known_keywords(node, at);
        if let Some(target) = get(node, "$ref") {
            let name = Self::ref_name(target, at);
            return self.table(self.schema(name), name);
        }
        if let Some(kind) = get(node, "type") {
            assert_eq!(text(kind, at), "object", "{at}: not an object schema");
        }
        let mut table = Table::default();
        if let Some(properties) = get(node, "properties") {
            for name in keys(properties, at) {
                let member_at = format!("{at}.{name}");
                let ty = self.member_type(get(properties, name).expect("a listed key"), &member_at);
                add(&mut table, Member { name: name.to_string(), ty, required: false }, &member_at);
            }
        }
        if let Some(parts) = get(node, "allOf") {
            for (index, part) in list(parts, at).iter().enumerate() {
                let part = self.table(part, &format!("{at}.allOf[{index}]"));
                assert!(part.alternatives.is_none(), "{at}: alternatives inside allOf are not supported");
                for member in part.members {
                    add(&mut table, member, at);
                }
            }
        }
        if let Some(required) = get(node, "required") {
            for name in list(required, at) {
                let name = text(name, at);
                let member = table.members.iter_mut().find(|m| m.name == name);
                member.unwrap_or_else(|| panic!("{at}: `{name}` is required but has no schema")).required =
                    true;
            }
        }
        let one_of = get(node, "oneOf").map(|a| (true, a));
        let any_of = get(node, "anyOf").map(|a| (false, a));
        assert!(one_of.is_none() || any_of.is_none(), "{at}: both oneOf and anyOf are not supported");
        if let Some((exclusive, branches)) = one_of.or(any_of) {
            let mut members = Vec::new();
            for (index, branch) in list(branches, at).iter().enumerate() {
                let branch_at = format!("{at}.{}[{index}]", if exclusive { "oneOf" } else { "anyOf" });
                let branch = self.table(branch, &branch_at);
                assert!(branch.alternatives.is_none(), "{branch_at}: nested alternatives are not supported");
                let required: Vec<_> = branch.members.iter().filter(|m| m.required).collect();
                let [chosen] = required.as_slice() else {
                    panic!("{branch_at}: an alternative must require exactly one member, not {required:?}")
                };
                members.push(chosen.name.clone());
                for member in branch.members {
                    // Outside its alternative a member is optional.
                    add(&mut table, Member { required: false, ..member }, &branch_at);
                }
            }
            table.alternatives = Some(Alternatives { exclusive, members });
        }
        table
    }
}

/// Adds `member` unless the table has it already (with the same type).
fn add(table: &mut Table, member: Member, at: &str) {
    match table.members.iter().find(|m| m.name == member.name) {
        Some(known) => {
            assert_eq!(known.ty, member.ty, "{at}: `{}` is defined twice, differently", member.name)
        }
        None => table.members.push(member),
    }
}

fn referenced(table: &Table) -> impl Iterator<Item = &str> {
    table.members.iter().filter_map(|m| match &m.ty {
        Ty::Object(name) | Ty::Objects(name, _) => Some(name.as_str()),
        _ => None,
    })
}

/// Every schema reachable from `name`, depth first in the specification's member order.
fn walk(spec: &Spec<'_>, name: &str, tables: &mut Vec<(String, Table)>) {
    if tables.iter().any(|(known, _)| known == name) {
        return;
    }
    let table = spec.table(spec.schema(name), name);
    tables.push((name.to_string(), table.clone()));
    for next in referenced(&table) {
        walk(spec, next, tables);
    }
}

/// For each schema, the first schema (in walk order) with identical members, to share one table:
/// refined until the tables that members refer to are shared too.
fn shared(tables: &[(String, Table)]) -> BTreeMap<String, String> {
    let mut canonical: BTreeMap<String, String> =
        tables.iter().map(|(name, _)| (name.clone(), name.clone())).collect();
    loop {
        let mut first: BTreeMap<Table, String> = BTreeMap::new();
        let mut next = BTreeMap::new();
        for (name, table) in tables {
            let key = rename(table, &canonical);
            let owner = first.entry(key).or_insert_with(|| name.clone());
            next.insert(name.clone(), owner.clone());
        }
        if next == canonical {
            return canonical;
        }
        canonical = next;
    }
}

/// `table` with the schemas it refers to replaced by their shared tables.
fn rename(table: &Table, canonical: &BTreeMap<String, String>) -> Table {
    let to = |name: &String| canonical.get(name).cloned().unwrap_or_else(|| name.clone());
    let members = table
        .members
        .iter()
        .map(|m| Member {
            ty: match &m.ty {
                Ty::Object(name) => Ty::Object(to(name)),
                Ty::Objects(name, min) => Ty::Objects(to(name), *min),
                other => other.clone(),
            },
            ..m.clone()
        })
        .collect();
    Table { members, alternatives: table.alternatives.clone() }
}

/// `PartyContactDetail` → `PARTY_CONTACT_DETAIL`.
fn static_name(schema: &str) -> String {
    let chars: Vec<char> = schema.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let after_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
        let acronym_end =
            i > 0 && chars[i - 1].is_uppercase() && chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        if c.is_uppercase() && (after_lower || acronym_end) {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

fn render_ty(ty: &Ty) -> String {
    match ty {
        Ty::String => "Ty::String".into(),
        Ty::Boolean => "Ty::Boolean".into(),
        Ty::Integer => "Ty::Integer".into(),
        Ty::Number => "Ty::Number".into(),
        Ty::Object(name) => format!("Ty::Object(&{})", static_name(name)),
        Ty::Strings(min) => format!("Ty::Strings({min})"),
        Ty::Objects(name, min) => format!("Ty::Objects(&{}, {min})", static_name(name)),
    }
}

/// `/// `A`, `B`.` wrapped before 100 columns.
fn render_names(names: &[&str]) -> String {
    let mut out = String::new();
    let mut line = String::from("///");
    for (i, name) in names.iter().enumerate() {
        let end = if i + 1 == names.len() { "." } else { "," };
        let word = format!(" `{name}`{end}");
        if line.len() + word.len() > 100 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("///");
        }
        line.push_str(&word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn render(tables: &[(String, Table)]) -> String {
    let canonical = shared(tables);
    let mut sharing: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, _) in tables {
        let owner = canonical[name].as_str();
        match sharing.iter_mut().find(|(o, _)| *o == owner) {
            Some((_, names)) => names.push(name),
            None => sharing.push((owner, vec![name])),
        }
    }
    let uses_alternatives = tables.iter().any(|(_, t)| t.alternatives.is_some());
    let mut out = String::new();
    out.push_str(&format!(
        "//! @generated by `ledger/tests/dcsa_schema_tables.rs` from `ledger/{SPEC}`.\n\
         //! Do not edit by hand: that test fails when this file is not exactly what it generates.\n\
         //!\n\
         //! The DCSA eBL 3.0.4 `components/schemas/{ROOT}` and every schema it reaches, as\n\
         //! tables: each schema's `properties` in order with their types (`req` if `required`, the\n\
         //! array minimum from `minItems`), then the members its `oneOf` (exclusive) or `anyOf`\n\
         //! alternatives add. Schemas with identical members share one table, named after the first.\n\
         //! After changing the YAML or the generator, write this file again with\n\
         //!\n\
         //! ```sh\n\
         //! {REGENERATE}=1 cargo test --workspace --locked --test dcsa_schema_tables\n\
         //! ```\n\
         //!\n\
         //! (`dcsa/mod.rs` declares this module `#[rustfmt::skip]`: the layout is the generator's.)\n\
         \n\
         use super::schema::{{opt, req, {}Schema, Ty}};\n",
        if uses_alternatives { "Alternatives, " } else { "" }
    ));
    for (owner, names) in &sharing {
        let table = rename(&tables.iter().find(|(n, _)| n == owner).expect("walked").1, &canonical);
        let visibility = if *owner == ROOT { "pub(super) " } else { "" };
        out.push('\n');
        out.push_str(&render_names(names));
        let _ = writeln!(out, "{visibility}static {}: Schema = Schema {{", static_name(owner));
        out.push_str("    members: &[\n");
        for member in &table.members {
            let make = if member.required { "req" } else { "opt" };
            let _ = writeln!(out, "        {make}(\"{}\", {}),", member.name, render_ty(&member.ty));
        }
        out.push_str("    ],\n");
        match &table.alternatives {
            None => out.push_str("    alternatives: None,\n"),
            Some(alternatives) => {
                let members: Vec<String> = alternatives.members.iter().map(|m| format!("\"{m}\"")).collect();
                let _ = writeln!(
                    out,
                    "    alternatives: Some(Alternatives {{ exclusive: {}, members: &[{}] }}),",
                    alternatives.exclusive,
                    members.join(", ")
                );
            }
        }
        out.push_str("};\n");
    }
    out
}

fn generate() -> String {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(manifest.join(SPEC)).expect("the DCSA specification");
    let documents = Yaml::load_from_str(&source).expect("the specification is YAML");
    let document = documents.first().expect("one YAML document");
    let schemas = get(document, "components").and_then(|c| get(c, "schemas")).expect("components/schemas");
    let spec = Spec { schemas };
    let mut tables = Vec::new();
    walk(&spec, ROOT, &mut tables);
    render(&tables)
}

#[test]
fn schema_tables_are_generated_from_the_dcsa_specification() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(TABLES);
    let generated = generate();
    if std::env::var(REGENERATE).is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write the schema tables");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).expect("the schema tables");
    if on_disk == generated {
        return;
    }
    let (line, (want, found)) = generated
        .lines()
        .chain(std::iter::repeat(""))
        .zip(on_disk.lines().chain(std::iter::repeat("")))
        .enumerate()
        .find(|(_, (want, found))| want != found)
        .expect("the texts differ");
    panic!(
        "ledger/{TABLES} is not what ledger/tests/dcsa_schema_tables.rs generates from ledger/{SPEC}.\n\
         First difference, line {}:\n  generated: {want}\n  on disk:   {found}\n\
         Do not edit the tables by hand; if the YAML or the generator changed, regenerate them with\n  \
         {REGENERATE}=1 cargo test --workspace --locked --test dcsa_schema_tables",
        line + 1
    );
}

#[test]
fn static_names_are_screaming_snake_case() {
    assert_eq!(static_name("PartyContactDetail"), "PARTY_CONTACT_DETAIL");
    assert_eq!(static_name("TransportDocument"), "TRANSPORT_DOCUMENT");
    assert_eq!(static_name("HSCodes"), "HS_CODES");
    assert_eq!(static_name("Limits"), "LIMITS");
}
