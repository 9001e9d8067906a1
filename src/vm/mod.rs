//! The VM being migrated: finding it across the fleet, reading what
//! migration needs from its definition on the source, and how libvirt will
//! treat its guest CPU.

pub mod cpu;
pub(crate) mod locate;
pub(crate) mod read;
pub mod spec;
