//! vmigrate's integration tests: one binary, one module per topic. Tests
//! marked as lab tests run the real binary against the real libvirt hosts of
//! `tests/lab/lab.sh`; the README's test command brings that lab up first.
#![allow(
    clippy::items_after_statements,
    reason = "drop guards are declared where they start guarding"
)]

mod attach;
mod bad_input;
mod catalogue;
mod check;
mod claims;
mod cli;
mod convergence;
mod docs;
mod doctor;
mod evacuate;
mod faults;
mod host_keys;
mod hosts;
mod hygiene;
mod inventory_errors;
mod json_contract;
mod live;
mod maintenance;
mod matrix;
mod output;
mod placement;
mod ps;
mod recover;
mod ssh_config;
mod transport;
mod util;
