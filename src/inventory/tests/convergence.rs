//! The convergence-policy keys: layered into `Host::policy` like every other
//! setting, each value checked at its own position, and the cross-key rules
//! reported once at the layer that breaks them.

use crate::policy::{OnTimeout, Policy};

use super::{parse_err, parse_ok};

const HOST: &str = "[[hosts]]\nname = \"kvm1\"\naddress = \"10.0.0.1\"\n";

fn with_host(extra: &str) -> String {
    format!("{HOST}{extra}")
}

const LAYERED: &str = r#"
[defaults]
migration_bandwidth_mib = 500
max_downtime_ms = 1000
downtime_steps = 5
stall_secs = 60
auto_converge = false

[[hosts]]
name = "plain"
address = "10.0.0.1"

[[hosts]]
name = "tuned"
address = "10.0.0.2"
migration_bandwidth_mib = 0
downtime_start_ms = 100
max_downtime_ms = 2000
downtime_steps = 20
downtime_delay_secs_per_gib = 0
stall_iterations = 7
stall_secs = 120
auto_converge = true
postcopy = true
completion_timeout_secs_per_gib = 0
on_timeout = "postcopy"
"#;

#[test]
fn minimal_inventory_gets_the_builtin_policy() {
    let inv = parse_ok(HOST);
    assert_eq!(inv.hosts[0].policy, Policy::default());
}

#[test]
fn defaults_apply_when_the_host_sets_nothing() {
    let inv = parse_ok(LAYERED);
    let p = &inv.host("plain").unwrap().policy;
    assert_eq!(
        *p,
        Policy {
            bandwidth_mib: Some(500),
            max_downtime_ms: 1000,
            downtime_steps: 5,
            stall_secs: 60,
            auto_converge: false,
            ..Policy::default()
        }
    );
}

#[test]
fn host_overrides_win_key_by_key() {
    let inv = parse_ok(LAYERED);
    let p = &inv.host("tuned").unwrap().policy;
    assert_eq!(
        *p,
        Policy {
            ladder: true,
            bandwidth_mib: None,
            downtime_start_ms: 100,
            max_downtime_ms: 2000,
            downtime_steps: 20,
            downtime_delay_secs_per_gib: 0,
            stall_iterations: 7,
            stall_secs: 120,
            auto_converge: true,
            postcopy: true,
            completion_timeout_secs_per_gib: 0,
            on_timeout: OnTimeout::Postcopy,
            transport: Policy::default().transport,
        }
    );
    assert_eq!(p.completion_timeout_secs(4 << 30), None, "0 = no timeout");
}

#[test]
fn zero_bandwidth_means_unlimited() {
    let inv = parse_ok(&with_host("migration_bandwidth_mib = 0\n"));
    assert_eq!(inv.hosts[0].policy.bandwidth_mib, None);
    let inv = parse_ok(&with_host("migration_bandwidth_mib = 1000000\n"));
    assert_eq!(inv.hosts[0].policy.bandwidth_mib, Some(1_000_000));
}

#[test]
fn range_errors_point_at_the_value() {
    // Both sides of every range; `bounds` is the message's "between …" part.
    const BANDWIDTH: &str = "0 and 1000000 MiB/s (0 means unlimited)";
    const TIMEOUT: &str = "0 and 86400 seconds per GiB (0 means no timeout)";
    let cases = [
        ("migration_bandwidth_mib", -1, BANDWIDTH),
        ("migration_bandwidth_mib", 1_000_001, BANDWIDTH),
        ("downtime_start_ms", 0, "1 and 600000 ms"),
        ("downtime_start_ms", 600_001, "1 and 600000 ms"),
        ("max_downtime_ms", 0, "1 and 600000 ms"),
        ("max_downtime_ms", 600_001, "1 and 600000 ms"),
        ("downtime_steps", 0, "1 and 100"),
        ("downtime_steps", 101, "1 and 100"),
        (
            "downtime_delay_secs_per_gib",
            -1,
            "0 and 86400 seconds per GiB",
        ),
        (
            "downtime_delay_secs_per_gib",
            86_401,
            "0 and 86400 seconds per GiB",
        ),
        ("stall_iterations", 0, "1 and 1000 passes"),
        ("stall_iterations", 1_001, "1 and 1000 passes"),
        ("stall_secs", 0, "1 and 86400 seconds"),
        ("stall_secs", 86_401, "1 and 86400 seconds"),
        ("completion_timeout_secs_per_gib", -5, TIMEOUT),
        ("completion_timeout_secs_per_gib", 86_401, TIMEOUT),
    ];
    for (key, value, bounds) in cases {
        let (line, col, msg) = parse_err(&with_host(&format!("{key} = {value}\n")));
        assert_eq!((line, col), (4, key.len() + 4), "{key} = {value}: {msg}");
        let want = format!("{key} must be between {bounds}, got {value}");
        assert!(msg.contains(&want), "{key} = {value}: {msg}");
    }
}

#[test]
fn range_errors_in_defaults_point_into_defaults() {
    let (line, col, msg) = parse_err(&format!("[defaults]\ndowntime_steps = 1000\n{HOST}"));
    assert_eq!((line, col), (2, 18));
    assert!(
        msg.contains("downtime_steps must be between 1 and 100, got 1000"),
        "{msg}"
    );
}

#[test]
fn bad_on_timeout_lists_the_allowed_actions() {
    let (line, col, msg) = parse_err(&with_host("on_timeout = \"wait\"\n"));
    assert_eq!((line, col), (4, 14));
    assert!(
        msg.contains(r#"on_timeout must be one of "abort", "postcopy", "pause", got "wait""#),
        "{msg}"
    );
}

#[test]
fn wrong_types_use_toml_words() {
    let (line, col, msg) = parse_err(&with_host("postcopy = \"yes\"\n"));
    assert_eq!((line, col), (4, 12));
    assert!(msg.contains("expected a boolean"), "{msg}");
    let (_, _, msg) = parse_err(&with_host("downtime_steps = 2.5\n"));
    assert!(msg.contains("expected an integer"), "{msg}");
}

#[test]
fn a_host_conflict_points_at_the_host_name() {
    let (line, col, msg) = parse_err(&with_host("on_timeout = \"postcopy\"\n"));
    assert_eq!((line, col), (2, 8));
    assert!(msg.contains("host \"kvm1\""), "{msg}");
    assert!(msg.contains("postcopy = true"), "{msg}");

    // Only the combination is wrong: [defaults] permits post-copy, the host
    // takes that back while keeping the post-copy timeout action.
    let (line, col, msg) = parse_err(&format!(
        "[defaults]\npostcopy = true\non_timeout = \"postcopy\"\n{HOST}postcopy = false\n"
    ));
    assert_eq!((line, col), (5, 8));
    assert!(msg.contains("host \"kvm1\""), "{msg}");

    let (line, col, msg) = parse_err(&with_host("downtime_start_ms = 900\n"));
    assert_eq!((line, col), (2, 8));
    assert!(
        msg.contains("downtime start (900 ms) is above the max downtime (500 ms)"),
        "{msg}"
    );
}

#[test]
fn a_defaults_conflict_is_reported_once_at_defaults() {
    let (line, col, msg) = parse_err(&format!(
        "# fleet\n[defaults]\non_timeout = \"postcopy\"\n{HOST}"
    ));
    assert_eq!((line, col), (2, 1));
    assert!(msg.contains("[defaults]"), "{msg}");
    assert!(!msg.contains("kvm1"), "not blamed on a host: {msg}");
    // A host cannot rescue a [defaults] that is inconsistent on its own.
    let (line, _, _) = parse_err(&format!(
        "[defaults]\ndowntime_start_ms = 90\nmax_downtime_ms = 20\n{HOST}downtime_start_ms = 10\n"
    ));
    assert_eq!(line, 1);
}

#[test]
fn a_lone_max_downtime_below_the_start_caps_it() {
    let inv = parse_ok(&format!("[defaults]\nmax_downtime_ms = 20\n{HOST}"));
    let p = &inv.hosts[0].policy;
    assert_eq!((p.downtime_start_ms, p.max_downtime_ms), (20, 20));
}

#[test]
fn a_consistent_override_of_a_consistent_default_is_fine() {
    let inv = parse_ok(&format!(
        "[defaults]\npostcopy = true\n{HOST}on_timeout = \"postcopy\"\n"
    ));
    assert_eq!(inv.hosts[0].policy.on_timeout, OnTimeout::Postcopy);
    assert!(inv.hosts[0].policy.postcopy);
}

#[test]
fn transport_keys_layer_and_are_checked() {
    let inv = parse_ok(&with_host(
        "tls = true\nparallel = 4\ncompress = \"zstd\"\npostcopy_bandwidth_mib = 200\nauto_converge_increment = 15\n",
    ));
    let t = &inv.hosts[0].policy.transport;
    assert!(t.tls);
    assert_eq!(t.parallel, Some(4));
    assert_eq!(t.compress, crate::transport::Compress::Zstd);
    assert_eq!(t.postcopy_bandwidth_mib, Some(200));
    assert_eq!(t.auto_converge_increment, Some(15));
    let (_, _, err) = parse_err(&with_host("compress = \"lz4\"\n"));
    assert!(err.contains("compress must be one of"), "{err}");
    let (_, _, err) = parse_err(&with_host("compress = \"xbzrle\"\nparallel = 2\n"));
    assert!(err.contains("drop --parallel"), "{err}");
}
