//! `[[groups]]`: read when right, refused at the right place when wrong.

use super::{parse_err, parse_ok};
use crate::inventory::Group;

const HOST: &str = "[[hosts]]\nname = \"kvm1\"\naddress = \"10.0.0.1\"\n";

fn with_group(g: &str) -> String {
    format!("{HOST}[[groups]]\n{g}")
}

#[test]
fn anti_affinity_groups_are_read_in_order() {
    let inv = parse_ok(&format!(
        "{HOST}[[groups]]\nname = \"web\"\npolicy = \"anti-affinity\"\nvms = [\"w1\", \"w2\"]\n\
         [[groups]]\nname = \"db\"\npolicy = \"anti-affinity\"\nvms = [\"d1\", \"d2\", \"d3\"]\n"
    ));
    assert_eq!(
        inv.groups,
        [
            Group {
                name: "web".into(),
                vms: vec!["w1".into(), "w2".into()]
            },
            Group {
                name: "db".into(),
                vms: vec!["d1".into(), "d2".into(), "d3".into()]
            },
        ]
    );
    assert!(parse_ok(HOST).groups.is_empty());
}

#[test]
fn bad_groups_say_what_to_do() {
    let cases = [
        (
            "name = \"web\"\npolicy = \"affinity\"\nvms = [\"a\", \"b\"]\n",
            (6, 10),
            "unknown group policy \"affinity\"; the supported policy is \"anti-affinity\"",
        ),
        (
            "name = \"w b\"\npolicy = \"anti-affinity\"\nvms = [\"a\", \"b\"]\n",
            (5, 8),
            "group name \"w b\" is not valid",
        ),
        (
            "name = \"web\"\npolicy = \"anti-affinity\"\nvms = [\"a\"]\n",
            (7, 7),
            "anti-affinity needs at least two VMs",
        ),
        (
            "name = \"web\"\npolicy = \"anti-affinity\"\nvms = [\"a\", \"a\"]\n",
            (7, 13),
            "\"a\" is listed twice in group \"web\"",
        ),
        (
            "name = \"web\"\npolicy = \"anti-affinity\"\nvms = [\"a\", \"\"]\n",
            (7, 13),
            "\"\" is not a VM name",
        ),
        (
            "name = \"web\"\npolicy = \"anti-affinity\"\nvms = [\"a\", \"b\"]\nhosts = 1\n",
            (8, 1),
            "unknown field `hosts`",
        ),
        (
            "name = \"web\"\nvms = [\"a\", \"b\"]\n",
            (4, 1),
            "missing field `policy`",
        ),
    ];
    for (g, at, want) in cases {
        let (line, col, msg) = parse_err(&with_group(g));
        assert!(msg.contains(want), "{g}: {msg}");
        assert_eq!((line, col), at, "{g}: {msg}");
    }
    let twice = "name = \"web\"\npolicy = \"anti-affinity\"\nvms = [\"a\", \"b\"]\n";
    let (line, _, msg) = parse_err(&format!("{HOST}[[groups]]\n{twice}[[groups]]\n{twice}"));
    assert_eq!(line, 9);
    assert!(
        msg.contains("duplicate group name \"web\" (first defined on line 5)"),
        "{msg}"
    );
}
