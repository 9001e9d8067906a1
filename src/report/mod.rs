//! Reporting: the printer (what goes to stdout or stderr), tables, and
//! sanitising remote strings. JSON output is the serde form of the same
//! structs the tables are drawn from.

pub mod check_table;
pub mod doctor_table;
pub mod drain_table;
pub mod hosts_table;
pub mod printer;
pub mod ps_table;
pub mod sanitize;
pub mod table;

pub use printer::{OutputFormat, Printer};
