//! The VM being migrated: finding it across the fleet, and reading what
//! migration needs from its definition on the source.

pub mod locate;
pub mod read;
pub mod spec;
