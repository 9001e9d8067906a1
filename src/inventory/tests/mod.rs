//! Whole-file tests of the inventory parser: a good inventory, the shipped
//! example, and the bad-inventory fixtures that pin error positions.

mod bad;
mod convergence;
mod example;
mod fixtures;
mod fuzz;
mod good;
mod groups;

use std::path::Path;

use super::settings::Environment;
use super::{parse_with, Inventory, InventoryError};

/// A fixed environment so results do not depend on who runs the tests.
fn env() -> Environment {
    Environment {
        user: Some("alice".into()),
        home: Some("/home/alice".into()),
    }
}

fn parse_ok(text: &str) -> Inventory {
    match parse_with(text, Path::new("inv.toml"), &env()) {
        Ok(inventory) => inventory,
        Err(e) => panic!("expected a valid inventory, got: {e}"),
    }
}

/// Parses `text`, expecting an `Invalid` error; returns (line, col, message).
fn parse_err(text: &str) -> (usize, usize, String) {
    match parse_with(text, Path::new("inv.toml"), &env()) {
        Err(InventoryError::Invalid {
            line, col, message, ..
        }) => (line, col, message),
        Err(other) => panic!("expected an Invalid error, got: {other}"),
        Ok(_) => panic!("expected an error, got a valid inventory"),
    }
}
