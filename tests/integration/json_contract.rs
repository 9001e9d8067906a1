//! The JSON contract (`docs/json.md`): every command's `-o json` document,
//! the error document and the `--events` lines, parsed back and checked
//! against the shapes that file documents. The file is read at test time,
//! so the documentation and the output cannot drift apart: a key printed
//! but not documented, a documented key missing (unless documented as
//! "absent when …"), or a value of another type fails the test, as does a
//! document without `"schema_version": 1`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::util::{state, vmigrate, Lab, TestVm};

/// The heading of the error document's section.
const ERROR: &str = "The error document";

/// The commands whose documents `docs/json.md` lists field by field.
const COMMANDS: [&str; 11] = [
    "hosts",
    "doctor",
    "check",
    "live",
    "abort",
    "force-complete",
    "bandwidth",
    "recover",
    "evacuate",
    "maintenance",
    "ps",
];

/// The `--events` lines it lists.
const EVENTS: [&str; 4] = ["progress", "policy", "drain_start", "drain_end"];

/// A JSON type, as a type cell of `docs/json.md` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    Num,
    Bool,
    Obj,
    Null,
    /// `array of T`; `None` (a bare `array`): elements unchecked.
    Arr(Option<Box<Kind>>),
    /// A shared object: the rows of the section headed `` `Name` ``.
    Shape(String),
}

impl Kind {
    /// One alternative of a type cell (`string`, `array of Check`, …).
    fn parse(cell: &str) -> Result<Kind, String> {
        let cell = cell.trim();
        if let Some(item) = cell.strip_prefix("array of ") {
            return Ok(Kind::Arr(Some(Box::new(Kind::parse(item)?))));
        }
        if let Some(name) = cell.strip_prefix('`').and_then(|c| c.strip_suffix('`')) {
            return Ok(Kind::Shape(name.to_string()));
        }
        Ok(match cell {
            "string" => Kind::Str,
            "integer" => Kind::Int,
            "number" => Kind::Num,
            "bool" => Kind::Bool,
            "object" => Kind::Obj,
            "null" => Kind::Null,
            "array" => Kind::Arr(None),
            other => return Err(format!("unknown type {other:?}")),
        })
    }

    /// `v` is of this kind (an integer is a number too).
    fn admits(&self, v: &Value) -> bool {
        match self {
            Kind::Str => v.is_string(),
            Kind::Int => v.is_u64() || v.is_i64(),
            Kind::Num => v.is_number(),
            Kind::Bool => v.is_boolean(),
            Kind::Obj | Kind::Shape(_) => v.is_object(),
            Kind::Null => v.is_null(),
            Kind::Arr(_) => v.is_array(),
        }
    }
}

/// One documented key: the kinds it may hold, and whether it may be left out.
#[derive(Debug, Clone)]
struct Field {
    kinds: Vec<Kind>,
    optional: bool,
}

/// Every section of `docs/json.md` by heading, with its rows in order.
type Sections = BTreeMap<String, Vec<(String, Field)>>;

/// One section's fields by full path (`hosts[].ssh.reachable`), with the
/// shared objects it names read in their place.
type Spec = BTreeMap<String, Field>;

/// `docs/json.md`, parsed.
fn sections() -> Sections {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The field rows of `text` under their headings (fenced blocks skipped).
fn parse(text: &str) -> Result<Sections, String> {
    let mut sections = Sections::new();
    let mut heading = String::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_string();
        } else if let Some(row) = line.strip_prefix("| `").filter(|_| !fenced) {
            let (key, field) = parse_row(row).map_err(|e| format!("line {}: {e}", n + 1))?;
            sections
                .entry(heading.clone())
                .or_default()
                .push((key, field));
        }
    }
    Ok(sections)
}

/// One field row, after its opening pipe and backtick: key, type, unit
/// and meaning cells.
fn parse_row(row: &str) -> Result<(String, Field), String> {
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    let [key, kinds, _unit, meaning, ..] = cells.as_slice() else {
        return Err(format!("a field row has four cells: {row}"));
    };
    let key = key.split('`').next().unwrap_or_default().to_string();
    let kinds = kinds
        .split(" or ")
        .map(Kind::parse)
        .collect::<Result<Vec<Kind>, String>>()?;
    let optional = meaning.to_ascii_lowercase().contains("absent when");
    Ok((key, Field { kinds, optional }))
}

/// The heading of a command's or a shared object's section.
pub(crate) fn section(name: &str) -> String {
    format!("`{name}`")
}

/// The heading of an event's section.
fn event_section(name: &str) -> String {
    format!("event `{name}`")
}

/// `key` under the object at `prefix` (the document itself: "").
fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The fields of the section headed `heading`.
fn spec(sections: &Sections, heading: &str) -> Spec {
    let mut spec = Spec::new();
    expand(sections, heading, "", &mut spec, 0);
    spec
}

/// Adds the rows of `heading` under `prefix`, and those of every shared
/// object they name under theirs.
fn expand(sections: &Sections, heading: &str, prefix: &str, spec: &mut Spec, depth: u32) {
    assert!(
        depth < 8,
        "docs/json.md: shared objects nest too deep at {heading}"
    );
    let rows = sections
        .get(heading)
        .unwrap_or_else(|| panic!("docs/json.md has no field table under the heading {heading}"));
    for (key, field) in rows {
        let path = join(prefix, key);
        for kind in &field.kinds {
            match kind {
                Kind::Shape(name) => expand(sections, &section(name), &path, spec, depth + 1),
                Kind::Arr(Some(item)) => {
                    if let Kind::Shape(name) = &**item {
                        let items = format!("{path}[]");
                        expand(sections, &section(name), &items, spec, depth + 1);
                    }
                }
                _ => {}
            }
        }
        spec.insert(path, field.clone());
    }
}

/// A command's document: its section's fields and `schema_version`.
fn document(sections: &Sections, heading: &str) -> Spec {
    let mut spec = spec(sections, heading);
    let version = Field {
        kinds: vec![Kind::Int],
        optional: false,
    };
    spec.insert("schema_version".to_string(), version);
    spec
}

/// Every way `doc` differs from `spec`, one line each.
fn mismatches(spec: &Spec, doc: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    object(spec, "", doc, &mut wrong);
    wrong
}

/// The key of `path` when it is a direct child of the object at `prefix`.
fn child<'a>(prefix: &str, path: &'a str) -> Option<&'a str> {
    let rest = if prefix.is_empty() {
        path
    } else {
        path.strip_prefix(prefix)?.strip_prefix('.')?
    };
    (!rest.contains(['.', '['])).then_some(rest)
}

/// Checks the object at `prefix`: each key documented and of a documented
/// kind, each documented key there unless it may be left out.
fn object(spec: &Spec, prefix: &str, v: &Value, wrong: &mut Vec<String>) {
    let Some(map) = v.as_object() else {
        wrong.push(format!("{prefix:?}: not an object: {v}"));
        return;
    };
    for (key, value) in map {
        let path = join(prefix, key);
        match spec.get(&path) {
            Some(field) => check(spec, &path, &field.kinds, value, wrong),
            None => wrong.push(format!("{path}: printed, but not in docs/json.md")),
        }
    }
    for (path, field) in spec {
        if let Some(key) = child(prefix, path) {
            if !field.optional && !map.contains_key(key) {
                wrong.push(format!("{path}: in docs/json.md, but not printed"));
            }
        }
    }
}

/// Checks one value against the kinds its key may hold, then what it holds.
fn check(spec: &Spec, path: &str, kinds: &[Kind], v: &Value, wrong: &mut Vec<String>) {
    let Some(kind) = kinds.iter().find(|k| k.admits(v)) else {
        wrong.push(format!("{path}: {v} is none of {kinds:?}"));
        return;
    };
    match kind {
        Kind::Obj | Kind::Shape(_) => object(spec, path, v, wrong),
        Kind::Arr(Some(item)) => {
            let at = format!("{path}[]");
            for element in v.as_array().into_iter().flatten() {
                check(spec, &at, std::slice::from_ref(&**item), element, wrong);
            }
        }
        _ => {}
    }
}

/// Asserts that `doc` is a schema-1 document of the shape documented under
/// `heading`.
pub(crate) fn conforms(heading: &str, doc: &Value) {
    assert_eq!(doc["schema_version"], 1, "{heading}: {doc:#}");
    let wrong = mismatches(&document(&sections(), heading), doc);
    assert!(
        wrong.is_empty(),
        "{heading} differs from docs/json.md:\n  {}\n{doc:#}",
        wrong.join("\n  ")
    );
}

/// Asserts that every line of the `--events` file at `path` is an event
/// of the documented shape, and that each of `expected` is among them.
fn events_conform(path: &Path, expected: &[&str]) {
    let sections = sections();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut seen: Vec<String> = Vec::new();
    for line in text.lines() {
        let event: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let name = event["event"].as_str().unwrap_or_default().to_string();
        let wrong = mismatches(&spec(&sections, &event_section(&name)), &event);
        assert!(
            wrong.is_empty(),
            "a {name} event differs from docs/json.md:\n  {}\n{line}",
            wrong.join("\n  ")
        );
        seen.push(name);
    }
    for name in expected {
        assert!(
            seen.iter().any(|s| s == name),
            "no {name} event in:\n{text}"
        );
    }
}

/// `vmigrate -i INV -o json ARGS`, which must end with one of `codes`: its
/// document.
fn json(inv: &str, args: &[&str], codes: &[i32]) -> Value {
    let r = vmigrate(&[&["-i", inv, "-o", "json"][..], args].concat());
    assert!(
        codes.contains(&r.code),
        "vmigrate {args:?}: exit {}, expected one of {codes:?}\n{}\n{}",
        r.code,
        r.stdout,
        r.stderr
    );
    r.json()
}

#[test]
fn the_doc_parses_and_every_shape_it_names_is_there() {
    let sections = sections();
    let headings = COMMANDS
        .into_iter()
        .map(section)
        .chain(std::iter::once(ERROR.to_string()));
    for heading in headings {
        let spec = document(&sections, &heading);
        assert!(spec.len() > 1, "{heading}: no fields in docs/json.md");
    }
    for name in EVENTS {
        let spec = spec(&sections, &event_section(name));
        assert!(
            spec.get("event").is_some_and(|f| !f.optional),
            "event {name}: no `event` key in docs/json.md"
        );
    }
    // The checker itself: an undocumented key, a missing key and a wrong
    // kind are each caught.
    let spec = document(&sections, ERROR);
    let doc = serde_json::json!({
        "schema_version": 1,
        "error": {"code": "usage", "exit": "2", "message": "m", "extra": true}
    });
    let mut wrong = mismatches(&spec, &doc);
    wrong.sort();
    assert_eq!(wrong.len(), 3, "{wrong:#?}");
    assert!(wrong[0].starts_with("error.exit: "), "{wrong:#?}");
    assert!(wrong[1].starts_with("error.extra: "), "{wrong:#?}");
    assert!(wrong[2].starts_with("error.hint: "), "{wrong:#?}");
}

#[test]
fn an_error_is_a_document_on_stdout_as_well() {
    let missing = "/nonexistent/inventory.toml";
    let r = vmigrate(&["-o", "json", "-i", missing, "hosts"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = r.json();
    conforms(ERROR, &doc);
    assert_eq!(doc["error"]["code"], "inventory", "{doc:#}");
    assert_eq!(doc["error"]["exit"], 2, "{doc:#}");
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(missing), "{doc:#}");
    assert!(
        r.stderr.contains(&format!("vmigrate: error: {message}")),
        "{}",
        r.stderr
    );

    // Refused before the inventory is read: a usage error.
    let r = vmigrate(&["-o", "json", "-i", missing, "maintenance", "lab3"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = r.json();
    conforms(ERROR, &doc);
    assert_eq!(doc["error"]["code"], "usage", "{doc:#}");
    assert_eq!(doc["error"]["exit"], 2, "{doc:#}");
}

#[test]
fn hosts_and_maintenance_status_match_the_doc() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let hosts = json(inv, &["hosts"], &[0]);
    conforms(&section("hosts"), &hosts);
    assert!(
        hosts["hosts"].as_array().is_some_and(|h| !h.is_empty()),
        "{hosts:#}"
    );

    let status = json(inv, &["maintenance", "lab3", "status"], &[0]);
    conforms(&section("maintenance"), &status);
    assert_eq!(status["action"], "status", "{status:#}");
}

#[test]
fn doctor_matches_the_doc() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let doc = json(lab.inv(), &["doctor"], &[0]);
    conforms(&section("doctor"), &doc);
    assert!(
        doc["checks"].as_array().is_some_and(|c| c.len() > 10),
        "{doc:#}"
    );
    // A baseline object, as a fleet whose CPUs differ gets it.
    let mut with_baseline = doc.clone();
    with_baseline["cpu_baseline"] = serde_json::json!({"model": "kvm64", "xml": "<cpu/>"});
    conforms(&section("doctor"), &with_baseline);
}

#[test]
fn one_vm_through_every_command_matches_the_doc() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    let inv = lab.inv();
    let mut vm = TestVm::create("lab1", "it-json-vm", "net");
    let name = vm.name.clone();

    let check = json(inv, &["check", &name, "--to", "lab2"], &[0]);
    conforms(&section("check"), &check);
    assert_eq!(check["migratable"], true, "{check:#}");

    // No migration runs: nothing to abort or force, no stream to cap.
    let abort = json(inv, &["abort", &name], &[0]);
    conforms(&section("abort"), &abort);
    assert_eq!(abort["aborted"], false, "{abort:#}");
    let force = json(inv, &["force-complete", &name], &[0]);
    conforms(&section("force-complete"), &force);
    assert_eq!(force["action"], "none", "{force:#}");
    let cap = json(inv, &["bandwidth", &name, "100"], &[3]);
    conforms(ERROR, &cap);
    assert_eq!(cap["error"]["code"], "not_migratable", "{cap:#}");
    assert_eq!(cap["error"]["exit"], 3, "{cap:#}");

    // Capped so that the job lives long enough for progress events.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let events = dir.path().join("events.jsonl");
    let file = events.to_str().expect("a UTF-8 temporary path");
    let args: [&str; 10] = [
        "live",
        &name,
        "--to",
        "lab2",
        "--measure",
        "1",
        "--bandwidth",
        "50",
        "--events",
        file,
    ];
    let live = json(inv, &args, &[0]);
    vm.host = "lab2".into();
    conforms(&section("live"), &live);
    assert_eq!(live["outcome"], "migrated", "{live:#}");
    assert_eq!(state("lab2", &name), "running");
    events_conform(&events, &["progress"]);

    let recover = json(inv, &["recover", &name, "--dry-run"], &[0]);
    conforms(&section("recover"), &recover);
    assert!(recover["journal"].is_object(), "{recover:#}");
    assert_eq!(recover["running_on"], "lab2", "{recover:#}");
}

#[test]
fn an_evacuation_plan_matches_the_doc() {
    let Some((lab, _guard)) = Lab::shared() else {
        return;
    };
    // lab4, the evacuation tests' own host, under their lock: a dry run
    // samples every VM on the host it plans for, and must not sample
    // another test's guest.
    let _lab4 = crate::evacuate::LAB4
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.all_hosts_inventory(dir.path(), |t| t);
    let vm = TestVm::create("lab4", "it-json-evac", "net");
    let plan = json(
        inv.to_str().unwrap(),
        &["evacuate", "lab4", "--dry-run"],
        &[0, 3],
    );
    conforms(&section("evacuate"), &plan);
    assert_eq!(plan["host"], "lab4", "{plan:#}");
    assert_eq!(plan["dry_run"], true, "{plan:#}");
    let listed = |key: &str| {
        plan[key]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["vm"] == vm.name.as_str()))
    };
    assert!(listed("plan") || listed("unplaceable"), "{plan:#}");
    assert_eq!(state("lab4", &vm.name), "running");
}
