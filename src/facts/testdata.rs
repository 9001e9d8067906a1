//! Facts captured from the lab (tests/fixtures/lab), for unit tests of the
//! decision logic: real figures, no libvirt needed at test time.
//! lab1 runs it-vm (128 MiB, 1 vCPU, local disk), lab2 runs other-vm, lab3 is empty.

use super::HostFacts;
use crate::inventory::Host;

const HOSTS: &str = include_str!("../../tests/fixtures/lab/hosts.json");
const INVENTORY: &str = include_str!("../../tests/fixtures/lab/inventory.toml");

/// The captured facts of a lab host.
pub(crate) fn lab_facts(name: &str) -> HostFacts {
    #[derive(serde::Deserialize)]
    struct Doc {
        hosts: Vec<HostFacts>,
    }
    let doc: Doc = serde_json::from_str(HOSTS).expect("captured hosts.json parses");
    doc.hosts
        .into_iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no captured facts for {name}"))
}

/// The lab inventory's entry for a host.
pub(crate) fn lab_host(name: &str) -> Host {
    crate::inventory::parse(INVENTORY, std::path::Path::new("inventory.toml"))
        .expect("captured inventory parses")
        .hosts
        .into_iter()
        .find(|h| h.name == name)
        .unwrap_or_else(|| panic!("no {name} in the captured inventory"))
}
