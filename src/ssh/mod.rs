//! SSH to inventory hosts (russh): one verified, authenticated connection per
//! host, reused for every remote command of a run.
//!
//! Only this module and `hypervisor` touch the network. Remote commands are
//! argv vectors quoted by [`quote`], never strings built from input.

mod auth;
mod endpoint;
mod error;
mod host_key;
mod jump;
pub mod quote;
mod session;

pub use error::SshError;
pub use session::SshSession;
