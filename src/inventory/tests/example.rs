//! The shipped `inventory.example.toml` must always parse.

use super::parse_ok;

const EXAMPLE: &str = include_str!("../../../inventory.example.toml");

#[test]
fn example_inventory_parses() {
    let inv = parse_ok(EXAMPLE);
    assert_eq!(inv.hosts.len(), 3);
    assert!(inv
        .hosts
        .iter()
        .any(|h| h.disabled && h.disabled_reason.is_some()));
    assert!(inv.hosts.iter().any(|h| h.migration_address != h.address));
}
