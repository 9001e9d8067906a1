//! Reads the VM's definition, job state and disk sizes from the source
//! libvirt (blocking calls).

use virt::domain::Domain;

use super::spec::{self, Disk, VmSpec};
use crate::checks::source::job_name;
use crate::hypervisor::{Libvirt, LibvirtError};

/// What the source says about the VM.
#[derive(Debug, Clone)]
pub struct SourceVm {
    /// From the live XML, with the guest CPU from the migratable XML (what
    /// the destination will be asked to run).
    pub spec: VmSpec,
    /// libvirt's state name.
    pub state: String,
    /// The running libvirt job, if any.
    pub job: Option<&'static str>,
    /// Data disks with (allocation, capacity) in bytes where libvirt knows them.
    pub data_disks: Vec<(Disk, Option<u64>, Option<u64>)>,
}

/// Reads `name` on `lv`.
pub fn read(lv: &Libvirt, name: &str) -> Result<SourceVm, LibvirtError> {
    let err = |what: &str| {
        let what = what.to_string();
        move |e| lv.call_error(&what, e)
    };
    let dom: Domain = lv
        .conn()
        .lookup_domain_by_name(name)
        .map_err(err("look up the VM"))?;
    let live = dom.xml_desc(0).map_err(err("read the VM's XML"))?;
    let migratable = dom
        .xml_desc(virt::sys::VIR_DOMAIN_XML_MIGRATABLE)
        .map_err(err("read the VM's migratable XML"))?;
    let bad_xml = |m: String| LibvirtError::Call {
        host: lv.host.clone(),
        what: "parse the VM's XML".into(),
        message: m,
    };
    let mut vm = spec::parse(&live).map_err(bad_xml)?;
    vm.cpu = spec::parse(&migratable).map_err(bad_xml)?.cpu;
    let info = dom.info().map_err(err("read the VM's state"))?;
    let state = crate::facts::libvirt::state_name(info.state.to_raw()).to_string();
    // A domain that is not running has no job; asking would be an error.
    let job = if dom.is_active().unwrap_or(false) {
        job_name(dom.job_info().map_err(err("read the VM's job"))?.r#type)
    } else {
        None
    };
    let data_disks = vm
        .disks
        .iter()
        .filter(|d| d.is_data_disk())
        .map(|d| {
            let info = if info.state.to_raw() == virt::sys::VIR_DOMAIN_SHUTOFF {
                None
            } else {
                dom.block_info(&d.target, 0).ok()
            };
            (
                d.clone(),
                info.as_ref().map(|i| i.allocation),
                info.map(|i| i.capacity),
            )
        })
        .collect();
    Ok(SourceVm {
        spec: vm,
        state,
        job,
        data_disks,
    })
}
