//! The web portal's wire tables, read from its JavaScript and checked against the Rust types
//! they mirror, without a browser: a change on either side that the other has not followed fails
//! here, naming the entry.
//!
//! - `tx.js` `ACTIONS` (JSON `type` → borsh variant index and fields with their types): for each
//!   entry, samples built from the table's field types parse as that `Action` (serde), write their
//!   JSON fields in the table's order, and encode, by the table's own rules, to exactly the borsh
//!   bytes of the Rust action (every enum name, both hold targets, options and lists empty and
//!   full); every action the portal does not sign is on an explicit list here;
//! - `tx.js` `AMENDMENT_REASONS`, `HOLD_AUTHORITIES`; `proof.js` `BL_STATUSES`: the serde names in
//!   borsh order;
//! - the domain tags both files hash with, the JMT placeholder, the state key variant of a BL,
//!   and the field order `decodeRecord` reads a `BlRecord` (with its lien and surrender) in.
//!
//! The extractor is small and strict: anything it does not recognise fails the test loudly.

use std::collections::BTreeSet;
use std::path::PathBuf;

use borsh::BorshSerialize;
use ebl_ledger::action::{AmendmentReason, HoldAuthority};
use ebl_ledger::records::{BlStatus, StateKey};
use ebl_ledger::{Action, BlId, Hash, Keypair};
use serde_json::{json, Value};

fn portal_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node/portal").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Num(u64),
    Ident(String),
    Punct(char),
}

/// The tokens of JavaScript (or JSON) text, one at a time: strings without escapes, whole
/// numbers, names and single punctuation characters; `//` comments skipped. Read lazily, so that a
/// literal is read up to its end and what follows it in the file is never tokenised.
struct Tokens {
    chars: Vec<char>,
    at: usize,
}

impl Tokens {
    fn new(text: &str) -> Self {
        Self { chars: text.chars().collect(), at: 0 }
    }

    /// The end of the run of characters from `self.at` that satisfy `keep`.
    fn run(&self, keep: impl Fn(char) -> bool) -> usize {
        let mut end = self.at;
        while end < self.chars.len() && keep(self.chars[end]) {
            end += 1;
        }
        end
    }
}

impl Iterator for Tokens {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        loop {
            let c = *self.chars.get(self.at)?;
            if c.is_whitespace() {
                self.at += 1;
            } else if c == '/' && self.chars.get(self.at + 1) == Some(&'/') {
                self.at = self.run(|c| c != '\n');
            } else {
                break;
            }
        }
        let c = self.chars[self.at];
        let (token, end) = if c == '\'' || c == '"' {
            self.at += 1;
            let end = self.run(|x| x != c);
            let text: String = self.chars[self.at..end].iter().collect();
            assert!(!text.contains('\\'), "an escape in a string: the extractor does not read these");
            (Token::Str(text), end + 1)
        } else if c.is_ascii_digit() {
            let end = self.run(|c| c.is_ascii_digit());
            let digits: String = self.chars[self.at..end].iter().collect();
            (Token::Num(digits.parse().expect("a whole number")), end)
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let end = self.run(|c| c.is_alphanumeric() || c == '_' || c == '$');
            (Token::Ident(self.chars[self.at..end].iter().collect()), end)
        } else {
            (Token::Punct(c), self.at + 1)
        };
        self.at = end;
        Some(token)
    }
}

/// All the tokens of `text`.
fn tokens(text: &str) -> Vec<Token> {
    Tokens::new(text).collect()
}

/// The tokens of the literal after `marker` (`[…]` or `{…}`, brackets balanced); the file after it
/// is not read.
fn literal_after(text: &str, marker: &str) -> Vec<Token> {
    let at = text.find(marker).unwrap_or_else(|| panic!("`{marker}` is gone from the portal"));
    let mut literal = Vec::new();
    let mut depth = 0usize;
    for token in Tokens::new(&text[at + marker.len()..]) {
        if literal.is_empty() {
            assert!(
                matches!(token, Token::Punct('[' | '{')),
                "`{marker}` is no longer followed by a literal: {token:?}"
            );
        }
        match token {
            Token::Punct('[' | '{' | '(') => depth += 1,
            Token::Punct(']' | '}' | ')') => depth -= 1,
            _ => {}
        }
        literal.push(token);
        if depth == 0 {
            return literal;
        }
    }
    panic!("the literal after `{marker}` is not closed")
}

/// A table literal as JSON: arrays, objects with bare or quoted keys, strings, whole numbers,
/// trailing commas, and names of the `constants` given. Anything else fails.
fn table(tokens: &[Token], constants: &[(&str, Value)]) -> Value {
    fn value(t: &[Token], at: &mut usize, constants: &[(&str, Value)]) -> Value {
        let token = t.get(*at).unwrap_or_else(|| panic!("the table ends early"));
        *at += 1;
        match token {
            Token::Str(s) => Value::String(s.clone()),
            Token::Num(n) => json!(n),
            Token::Ident(name) => match constants.iter().find(|(c, _)| c == name) {
                Some((_, v)) => v.clone(),
                None => panic!("the table names `{name}`, which this test does not know"),
            },
            Token::Punct('[') => {
                let mut items = Vec::new();
                while t.get(*at) != Some(&Token::Punct(']')) {
                    items.push(value(t, at, constants));
                    separator(t, at, ']');
                }
                *at += 1;
                Value::Array(items)
            }
            Token::Punct('{') => {
                let mut object = serde_json::Map::new();
                while t.get(*at) != Some(&Token::Punct('}')) {
                    let key = match t.get(*at) {
                        Some(Token::Ident(k) | Token::Str(k)) => k.clone(),
                        other => panic!("expected a key, found {other:?}"),
                    };
                    assert_eq!(t.get(*at + 1), Some(&Token::Punct(':')), "no `:` after {key}");
                    *at += 2;
                    let v = value(t, at, constants);
                    assert!(object.insert(key.clone(), v).is_none(), "{key} twice");
                    separator(t, at, '}');
                }
                *at += 1;
                Value::Object(object)
            }
            Token::Punct(c) => panic!("unexpected `{c}` in a table"),
        }
    }
    fn separator(t: &[Token], at: &mut usize, close: char) {
        match t.get(*at) {
            Some(Token::Punct(',')) => *at += 1,
            Some(Token::Punct(c)) if *c == close => {}
            other => panic!("expected `,` or `{close}`, found {other:?}"),
        }
    }
    let mut at = 0;
    let v = value(tokens, &mut at, constants);
    assert_eq!(at, tokens.len(), "trailing tokens after the table");
    v
}

/// The keys, in order, of the object literal that `tokens` starts with (its own keys only).
fn object_keys(tokens: &[Token]) -> Vec<String> {
    assert_eq!(tokens.first(), Some(&Token::Punct('{')), "not an object literal");
    let mut keys = Vec::new();
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct('[' | '{' | '(') => depth += 1,
            Token::Punct(']' | '}' | ')') => {
                depth -= 1;
                if depth == 0 {
                    return keys;
                }
            }
            Token::Ident(k) | Token::Str(k)
                if depth == 1 && tokens.get(i + 1) == Some(&Token::Punct(':')) =>
            {
                keys.push(k.clone())
            }
            _ => {}
        }
    }
    panic!("the object literal is not closed")
}

/// The keys of the object literal that is the value of `key` in `tokens`.
fn nested_keys(tokens: &[Token], key: &str) -> Vec<String> {
    let at = tokens
        .windows(2)
        .position(|w| w[0] == Token::Ident(key.into()) && w[1] == Token::Punct(':'))
        .unwrap_or_else(|| panic!("no `{key}:` in the record"));
    let open = tokens[at..].iter().position(|t| *t == Token::Punct('{')).expect("an object for the key");
    object_keys(&tokens[at + open..])
}

/// The variant names of a serde enum, in declaration order, as serde lists them when it
/// refuses an unknown one.
fn serde_variants<T: serde::de::DeserializeOwned>(probe: Value) -> Vec<String> {
    let error = match serde_json::from_value::<T>(probe) {
        Ok(_) => panic!("the probe parsed"),
        Err(e) => e.to_string(),
    };
    // `expected `A``, `expected `A` or `B``, `expected one of `A`, `B`, `C``.
    let Some((_, expected)) = error.split_once("expected ") else {
        panic!("serde's error no longer lists the variants: {error}");
    };
    let names: Vec<String> = expected.split('`').skip(1).step_by(2).map(str::to_owned).collect();
    assert!(!names.is_empty(), "serde's error no longer lists the variants: {error}");
    names
}

/// The JSON keys of a serialised value's top-level object, in the order serde writes them.
fn json_keys(value: &impl serde::Serialize) -> Vec<String> {
    object_keys(&tokens(&serde_json::to_string(value).expect("serialises")))
}

fn borsh_bytes(value: &impl BorshSerialize) -> Vec<u8> {
    borsh::to_vec(value).expect("encodes")
}

fn hex32(text: &str) -> Vec<u8> {
    assert_eq!(text.len(), 64, "{text} is not 64 hex digits");
    (0..64).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

/// The actions the portal does not sign, and why.
const NOT_SIGNED_BY_THE_PORTAL: [(&str, &str); 10] = [
    ("REGISTER_PARTY", "registration, issuance and reissue stay with the CLI and SDK"),
    ("SET_PARTY_ROLES", "registration, issuance and reissue stay with the CLI and SDK"),
    ("ISSUE", "registration, issuance and reissue stay with the CLI and SDK"),
    ("REISSUE", "registration, issuance and reissue stay with the CLI and SDK"),
    ("PROPOSE_VALIDATOR_CHANGE", "validator operators govern the set with `ebl governance`"),
    ("APPROVE_VALIDATOR_CHANGE", "validator operators govern the set with `ebl governance`"),
    ("ALLOW_OBSERVER", "the registrars keep the observer list with `ebl observer`"),
    ("REMOVE_OBSERVER", "the registrars keep the observer list with `ebl observer`"),
    ("ROTATE_KEY", "a key is rotated with the CLI, which holds both key files"),
    ("REPLACE_KEY", "the registrars replace a lost key with the CLI"),
];

/// A value of a field of the portal's type `kind`; `k` varies the sample (enum name, option
/// present, list length, hold target).
fn sample_value(kind: &Value, k: usize, party: &str) -> Value {
    let hash = "ab".repeat(32);
    match kind {
        Value::String(s) => match s.as_str() {
            "bl" | "hash" => json!(hash),
            "party" => json!(party),
            "string" => json!(format!("text {k}")),
            // Beyond u32 for a u64, so that a u32 on either side is caught.
            "u32" => json!(7 + k),
            "u64" => json!((1u64 << 40) + k as u64),
            "bool" => json!(k % 2 == 1),
            "container" => json!({ "bl": hash, "equipmentReference": "APZU4812090" }),
            "holdTarget" if k.is_multiple_of(2) => {
                json!({ "scope": "CONTAINER", "bl": hash, "equipmentReference": "APZU4812090" })
            }
            "holdTarget" => json!({ "scope": "BL", "bl": hash }),
            other => panic!("tx.js has a field type {other:?} this test does not know"),
        },
        Value::Array(pair) => match (pair.first().and_then(Value::as_str), pair.get(1)) {
            (Some("option"), Some(_)) if k.is_multiple_of(2) => Value::Null,
            (Some("option"), Some(inner)) => sample_value(inner, k, party),
            (Some("vec"), Some(inner)) => {
                Value::Array((0..(k % 2) * 2).map(|i| sample_value(inner, k + i, party)).collect())
            }
            (Some("enum"), Some(Value::Array(names))) => names[k % names.len()].clone(),
            _ => panic!("tx.js has a field type {kind} this test does not know"),
        },
        other => panic!("tx.js has a field type {other} this test does not know"),
    }
}

/// The bytes tx.js's `writeValue` writes for `value` of type `kind` (the same rules, in Rust).
fn portal_encoding(kind: &Value, value: &Value, out: &mut Vec<u8>) {
    let string = |s: &str, out: &mut Vec<u8>| {
        out.extend((s.len() as u32).to_le_bytes());
        out.extend(s.as_bytes());
    };
    match kind {
        Value::String(s) => match (s.as_str(), value) {
            ("bl" | "hash", Value::String(h)) => out.extend(hex32(h)),
            ("party", Value::String(p)) => out.extend(hex32(p.strip_prefix("ebl:").expect("ebl:<hex>"))),
            ("string", Value::String(text)) => string(text, out),
            ("u32", Value::Number(n)) => out.extend((n.as_u64().expect("u32") as u32).to_le_bytes()),
            ("u64", Value::Number(n)) => out.extend(n.as_u64().expect("u64").to_le_bytes()),
            ("bool", Value::Bool(b)) => out.push(u8::from(*b)),
            ("container", _) => {
                out.extend(hex32(value["bl"].as_str().expect("bl")));
                string(value["equipmentReference"].as_str().expect("equipmentReference"), out);
            }
            ("holdTarget", _) if value["scope"] == "CONTAINER" => {
                out.push(0);
                portal_encoding(&json!("container"), value, out);
            }
            ("holdTarget", _) if value["scope"] == "BL" => {
                out.push(1);
                out.extend(hex32(value["bl"].as_str().expect("bl")));
            }
            _ => panic!("no encoding of {value} as {kind}"),
        },
        Value::Array(pair) => match (pair[0].as_str(), &pair[1], value) {
            (Some("option"), _, Value::Null) => out.push(0),
            (Some("option"), inner, v) => {
                out.push(1);
                portal_encoding(inner, v, out);
            }
            (Some("vec"), inner, Value::Array(items)) => {
                out.extend((items.len() as u32).to_le_bytes());
                for item in items {
                    portal_encoding(inner, item, out);
                }
            }
            (Some("enum"), Value::Array(names), v) => {
                out.push(names.iter().position(|n| n == v).expect("one of the names") as u8)
            }
            _ => panic!("no encoding of {value} as {kind}"),
        },
        _ => panic!("no encoding of {value} as {kind}"),
    }
}

fn enum_names(table: &Value, name: &str) -> Vec<String> {
    match table.as_array().map(Vec::as_slice) {
        Some([kind, Value::Array(names)]) if kind == "enum" => {
            names.iter().map(|n| n.as_str().expect("a name").to_owned()).collect()
        }
        _ => panic!("{name} is not ['enum', [names]]: {table}"),
    }
}

/// The tx.js tables: the enums first (ACTIONS names them), then ACTIONS.
fn tx_tables() -> (Value, Value, Value) {
    let tx = portal_file("tx.js");
    let amendment = table(&literal_after(&tx, "const AMENDMENT_REASONS ="), &[]);
    let authorities = table(&literal_after(&tx, "const HOLD_AUTHORITIES ="), &[]);
    let constants = [("AMENDMENT_REASONS", amendment.clone()), ("HOLD_AUTHORITIES", authorities.clone())];
    let actions = table(&literal_after(&tx, "export const ACTIONS ="), &constants);
    (actions, amendment, authorities)
}

#[test]
fn every_action_the_portal_signs_encodes_as_the_ledger_encodes_it() {
    let (actions, _, _) = tx_tables();
    let actions = actions.as_object().expect("ACTIONS is an object");
    let party = Keypair::from_seed([7; 32]).party().to_string();
    let variants = serde_variants::<Action>(json!({ "type": "?" }));
    assert!(variants.len() > 20, "{variants:?}");
    for (json_type, entry) in actions {
        let (index, fields) = match entry.as_array().map(Vec::as_slice) {
            Some([Value::Number(index), Value::Array(fields)]) => (index.as_u64().expect("an index"), fields),
            _ => panic!("ACTIONS.{json_type} is not [index, [fields]]: {entry}"),
        };
        assert_eq!(
            variants.iter().position(|v| v == json_type).map(|i| i as u64),
            Some(index),
            "ACTIONS.{json_type}: the borsh index is the variant's place in ebl_ledger::Action"
        );
        let fields: Vec<(&str, &Value)> = fields
            .iter()
            .map(|f| match f.as_array().map(Vec::as_slice) {
                Some([Value::String(name), kind]) => (name.as_str(), kind),
                _ => panic!("ACTIONS.{json_type}: a field is not [name, type]: {f}"),
            })
            .collect();
        let enum_sizes =
            fields.iter().filter_map(|(_, kind)| kind.get(1).and_then(Value::as_array).map(Vec::len));
        for k in 0..enum_sizes.max().unwrap_or(0).max(2) {
            let mut object = serde_json::Map::new();
            object.insert("type".into(), json!(json_type));
            let mut expected = vec![index as u8];
            for (name, kind) in &fields {
                let v = sample_value(kind, k, &party);
                portal_encoding(kind, &v, &mut expected);
                object.insert((*name).into(), v);
            }
            let sample = Value::Object(object);
            let action: Action = serde_json::from_value(sample.clone())
                .unwrap_or_else(|e| panic!("ACTIONS.{json_type}: {sample} is not such an action: {e}"));
            assert_eq!(action.info().json_type, json_type);
            let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
            assert_eq!(
                json_keys(&action)[1..],
                names,
                "ACTIONS.{json_type}: the fields in declaration order"
            );
            assert_eq!(borsh_bytes(&action), expected, "ACTIONS.{json_type}: the bytes of {sample}");
        }
    }
    let signed: BTreeSet<&str> = actions.keys().map(String::as_str).collect();
    let unsigned: BTreeSet<&str> =
        variants.iter().map(String::as_str).filter(|v| !signed.contains(v)).collect();
    let listed: BTreeSet<&str> = NOT_SIGNED_BY_THE_PORTAL.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        unsigned, listed,
        "an action the portal neither signs nor is listed as left to the CLI and SDK"
    );
}

#[test]
fn the_portal_enums_are_the_ledger_enums_in_borsh_order() {
    let (_, amendment, authorities) = tx_tables();
    let check = |label: &str, names: Vec<String>, variants: Vec<String>, bytes: &dyn Fn(&str) -> Vec<u8>| {
        assert_eq!(names, variants, "{label}: the names in declaration order");
        for (i, name) in names.iter().enumerate() {
            assert_eq!(bytes(name), vec![i as u8], "{label}: {name} is variant {i}");
        }
    };
    check(
        "tx.js AMENDMENT_REASONS",
        enum_names(&amendment, "AMENDMENT_REASONS"),
        serde_variants::<AmendmentReason>(json!("?")),
        &|n: &str| borsh_bytes(&serde_json::from_value::<AmendmentReason>(json!(n)).expect("a reason")),
    );
    check(
        "tx.js HOLD_AUTHORITIES",
        enum_names(&authorities, "HOLD_AUTHORITIES"),
        serde_variants::<HoldAuthority>(json!("?")),
        &|n: &str| borsh_bytes(&serde_json::from_value::<HoldAuthority>(json!(n)).expect("an authority")),
    );
    let proof = portal_file("proof.js");
    let statuses = table(&literal_after(&proof, "const BL_STATUSES ="), &[]);
    let statuses: Vec<String> = statuses
        .as_array()
        .expect("BL_STATUSES is a list")
        .iter()
        .map(|s| s.as_str().expect("a status name").to_owned())
        .collect();
    check("proof.js BL_STATUSES", statuses, serde_variants::<BlStatus>(json!("?")), &|n: &str| {
        borsh_bytes(&serde_json::from_value::<BlStatus>(json!(n)).expect("a status"))
    });
}

#[test]
fn the_portal_hashes_and_decodes_as_the_ledger_writes() {
    use ebl_ledger::hash::domain;
    let (tx, proof) = (portal_file("tx.js"), portal_file("proof.js"));
    for (file, text, tag) in [
        ("tx.js", &tx, domain::TX_SIGNING),
        ("proof.js", &proof, domain::COMMIT_VOTE),
        ("proof.js", &proof, domain::BLOCK_HEADER),
    ] {
        let tag = std::str::from_utf8(tag).expect("a text tag");
        assert!(text.contains(&format!("encoder.encode('{tag}')")), "{file} no longer hashes with {tag}");
    }
    let placeholder = std::str::from_utf8(&ebl_ledger::state::EMPTY_ROOT).expect("text");
    assert!(
        proof.contains(&format!("const PLACEHOLDER = encoder.encode('{placeholder}');")),
        "the JMT placeholder"
    );

    // decodeBundle: the proven key is a BL's.
    let bl_key = borsh_bytes(&StateKey::Bl(BlId(Hash::ZERO)));
    let check = format!("if (variant !== {}) throw failure('err.notBlBundle');", bl_key[0]);
    assert!(proof.contains(&check), "proof.js reads a BL's state key as variant {}", bl_key[0]);

    // decodeRecord reads a BlRecord field by field, in declaration order.
    let record = literal_after(&proof, "const record =");
    let source =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ledger/src/records.rs"))
            .expect("records.rs");
    let file = syn::parse_file(&source).expect("records.rs parses");
    let fields_of = |name: &str| -> Vec<String> {
        let fields = file.items.iter().find_map(|item| match item {
            syn::Item::Struct(s) if s.ident == name => Some(&s.fields),
            _ => None,
        });
        let fields = fields.unwrap_or_else(|| panic!("no struct {name} in records.rs"));
        fields.iter().map(|f| camel(&f.ident.as_ref().expect("a named field").to_string())).collect()
    };
    // The portal's shorter names for three fields.
    let portal_names = |names: Vec<String>| -> Vec<String> {
        names
            .into_iter()
            .map(|n| match n.as_str() {
                "transportDocumentReference" => "reference".into(),
                "transportDocumentType" => "documentType".into(),
                "documentChecksum" => "checksum".into(),
                _ => n,
            })
            .collect()
    };
    assert_eq!(object_keys(&record), portal_names(fields_of("BlRecord")), "proof.js decodeRecord: BlRecord");
    assert_eq!(nested_keys(&record, "lien"), fields_of("Lien"), "proof.js decodeRecord: Lien");
    assert_eq!(
        nested_keys(&record, "surrender"),
        fields_of("SurrenderRequest"),
        "proof.js decodeRecord: SurrenderRequest"
    );
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_extractor_refuses_what_it_does_not_know() {
    let parse = |text: &str| std::panic::catch_unwind(|| table(&tokens(text), &[])).is_ok();
    assert!(parse("{ A: [1, [['bl', 'bl']]], }"));
    assert!(!parse("{ A: [1, X] }"), "an unknown name");
    assert!(!parse("{ A: [1, 2 + 3] }"), "an expression");
    assert!(!parse("{ A 1 }"), "a missing colon");
    assert_eq!(object_keys(&tokens("{ a: f({ b: 1 }), c: [d], 'e': 2 }")), ["a", "c", "e"]);
}
