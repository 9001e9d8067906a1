//! Draining a host (`vmigrate evacuate`), decided before anything moves:
//! every VM on the host is placed at once by the scheduler's own filters
//! and weights, each placement taking its share of the destination's room
//! before the next VM is placed (`place`), so that a plan that fits on
//! paper fits on the hosts; anti-affinity groups keep their members apart
//! (`apart`). Pure: it reads one snapshot of the fleet and changes nothing.

pub mod apart;
pub mod forecast;
pub mod order;
pub mod place;
pub mod report;
pub mod room;
pub mod storage;
pub mod window;

pub use place::{place, Ask, Leaving, Plan};
