//! Guest CPUs on the host: whether its hypervisor can run a CPU definition
//! (virConnectCompareHypervisorCPU, which the `virt` crate does not wrap),
//! what it offers a guest (its domain capabilities), and the CPU several
//! hosts' CPUs have in common (virConnectBaselineHypervisorCPU, not wrapped
//! either).

use std::ffi::CString;

use super::Host;
use crate::hypervisor::{one_line, LibvirtError};

/// The kind of guest a question is about: libvirt answers per arch,
/// machine type and domain type (`kvm`, `qemu`); `None` lets it choose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestTarget {
    pub arch: Option<String>,
    pub machine: Option<String>,
    pub virt_type: Option<String>,
}

/// What the host said about one CPU definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpuComparison {
    /// Identical or superset: it provides every feature.
    Runs(&'static str),
    /// Incompatible, with libvirt's reason (the missing features) when it gives one.
    Lacks(Option<String>),
}

impl Host {
    /// Compares `cpu_xml` with what the hypervisor provides for `guest`.
    pub async fn compare_cpu(
        &self,
        guest: &GuestTarget,
        cpu_xml: &str,
    ) -> Result<CpuComparison, LibvirtError> {
        const WHAT: &str = "compare the CPU";
        let guest = guest.clone();
        let Ok(xml) = CString::new(cpu_xml) else {
            return Err(LibvirtError::Call {
                host: self.name().to_string(),
                what: WHAT.into(),
                message: "the CPU XML contains a NUL byte".into(),
            });
        };
        self.with_conn(WHAT, move |lv| {
            compare(lv.conn(), &guest, &xml).map_err(|e| lv.call_error(WHAT, e))
        })
        .await
    }

    /// The domain capabilities document for `guest` (its `<cpu>` modes say
    /// what the hypervisor offers a guest).
    pub async fn domain_capabilities(&self, guest: &GuestTarget) -> Result<String, LibvirtError> {
        const WHAT: &str = "read the domain capabilities";
        let guest = guest.clone();
        self.with_conn(WHAT, move |lv| {
            lv.conn()
                .domain_capabilities(
                    None,
                    guest.arch.as_deref(),
                    guest.machine.as_deref(),
                    guest.virt_type.as_deref(),
                    0,
                )
                .map_err(|e| lv.call_error(WHAT, e))
        })
        .await
    }

    /// The most capable CPU every one of `cpus` (`<cpu>` definitions)
    /// provides, as this host's hypervisor can run it for `guest`: a
    /// `<cpu>` definition (its `<model>` is the suggested baseline).
    pub async fn baseline_cpu(
        &self,
        guest: &GuestTarget,
        cpus: &[String],
    ) -> Result<String, LibvirtError> {
        const WHAT: &str = "compute a baseline CPU";
        let guest = guest.clone();
        let Ok(xmls) = cpus
            .iter()
            .map(|c| CString::new(c.as_str()))
            .collect::<Result<Vec<_>, _>>()
        else {
            return Err(LibvirtError::Call {
                host: self.name().to_string(),
                what: WHAT.into(),
                message: "a CPU XML contains a NUL byte".into(),
            });
        };
        self.with_conn(WHAT, move |lv| {
            baseline(lv.conn(), &guest, &xmls).map_err(|e| lv.call_error(WHAT, e))
        })
        .await
    }
}

/// virConnectBaselineHypervisorCPU (blocking), with MIGRATABLE: a CPU a
/// guest can be migrated with (no host-only features).
fn baseline(
    conn: &virt::connect::Connect,
    guest: &GuestTarget,
    xmls: &[CString],
) -> Result<String, virt::error::Error> {
    let cstr = |s: Option<&str>| s.map(|v| CString::new(v).unwrap_or_default());
    let arch = cstr(guest.arch.as_deref());
    let machine = cstr(guest.machine.as_deref());
    let virttype = cstr(guest.virt_type.as_deref());
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    let mut list: Vec<*const std::os::raw::c_char> = xmls.iter().map(|x| x.as_ptr()).collect();
    let n = u32::try_from(list.len()).unwrap_or(u32::MAX);
    // SAFETY: the connection pointer is valid for the life of `conn`; every
    // string is a NUL-terminated CString that outlives the call, and `list`
    // holds exactly `n` of them; libvirt reads them only during the call
    // (the array is `char **` in the binding, but libvirt does not write it).
    let out = unsafe {
        virt::sys::virConnectBaselineHypervisorCPU(
            conn.as_ptr(),
            std::ptr::null(),
            ptr(&arch),
            ptr(&machine),
            ptr(&virttype),
            list.as_mut_ptr(),
            n,
            virt::sys::VIR_CONNECT_BASELINE_CPU_MIGRATABLE,
        )
    };
    if out.is_null() {
        return Err(virt::error::Error::last_error());
    }
    // SAFETY: libvirt returned a NUL-terminated string it allocated with
    // malloc and handed over to the caller, who frees it (once, here).
    let xml = unsafe {
        let s = std::ffi::CStr::from_ptr(out).to_string_lossy().into_owned();
        libc::free(out.cast());
        s
    };
    Ok(xml)
}

/// virConnectCompareHypervisorCPU (blocking). libvirt's "incompatible"
/// error is an answer: it carries the missing features.
fn compare(
    conn: &virt::connect::Connect,
    guest: &GuestTarget,
    xml: &CString,
) -> Result<CpuComparison, virt::error::Error> {
    let cstr = |s: Option<&str>| s.map(|v| CString::new(v).unwrap_or_default());
    let arch = cstr(guest.arch.as_deref());
    let machine = cstr(guest.machine.as_deref());
    let virttype = cstr(guest.virt_type.as_deref());
    let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // FAIL_INCOMPATIBLE makes libvirt say which features are missing (as an
    // error) instead of a bare "incompatible".
    // SAFETY: the connection pointer is valid for the life of `conn`; every
    // string is a NUL-terminated CString that outlives the call; libvirt
    // does not keep the pointers.
    let r = unsafe {
        virt::sys::virConnectCompareHypervisorCPU(
            conn.as_ptr(),
            std::ptr::null(),
            ptr(&arch),
            ptr(&machine),
            ptr(&virttype),
            xml.as_ptr(),
            virt::sys::VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE,
        )
    };
    match r {
        virt::sys::VIR_CPU_COMPARE_IDENTICAL => Ok(CpuComparison::Runs("identical")),
        virt::sys::VIR_CPU_COMPARE_SUPERSET => Ok(CpuComparison::Runs("superset")),
        virt::sys::VIR_CPU_COMPARE_INCOMPATIBLE => Ok(CpuComparison::Lacks(None)),
        _ => {
            let e = virt::error::Error::last_error();
            if e.code().to_raw() == virt::sys::VIR_ERR_CPU_INCOMPATIBLE {
                Ok(CpuComparison::Lacks(Some(reason(e.message()))))
            } else {
                Err(e)
            }
        }
    }
}

/// libvirt's "the CPU is incompatible with host CPU: Host CPU does not
/// provide required features: pni, svm" without its generic prefix.
fn reason(message: &str) -> String {
    let detail = message
        .split_once("incompatible with host CPU: ")
        .map_or(message, |(_, d)| d);
    one_line(detail)
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn reason_keeps_the_missing_features() {
        // As libvirt 9.0 said it on the lab (hypervisor-cpu-compare --error).
        let m = "the CPU is incompatible with host CPU: Host CPU does not provide required features: pni, svm";
        assert_eq!(
            reason(m),
            "Host CPU does not provide required features: pni, svm"
        );
        assert_eq!(reason("something else"), "something else");
    }
}
