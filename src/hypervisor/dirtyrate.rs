//! The guest's memory dirty rate, measured by QEMU at libvirt's request
//! (virDomainStartDirtyRateCalc, read back through the domain stats'
//! `dirtyrate.*` fields). The `virt` crate wraps neither.
//!
//! Page-sampling mode: QEMU hashes a sample of guest pages, waits the
//! period and hashes them again — no dirty logging, so the guest is not
//! slowed while it is measured.

use std::ffi::CStr;

use virt::domain::Domain;
use virt::error::Error;
use virt::sys;

/// What the stats say of the last calculation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calc {
    Unstarted,
    Measuring,
    /// Measured: MiB/s (libvirt's "megabytes" are MiB) and the period, s.
    Measured {
        mib_per_sec: u64,
        period_secs: u64,
    },
}

/// Starts a calculation over `secs` seconds (1..=60).
pub fn start(dom: &Domain, secs: u32) -> Result<(), Error> {
    // SAFETY: `dom` is valid for the call.
    let r = unsafe {
        sys::virDomainStartDirtyRateCalc(
            dom.as_ptr(),
            i32::try_from(secs).unwrap_or(i32::MAX),
            sys::VIR_DOMAIN_DIRTYRATE_MODE_PAGE_SAMPLING,
        )
    };
    if r < 0 {
        return Err(Error::last_error());
    }
    Ok(())
}

/// Reads the calculation's status and result.
pub fn read(dom: &Domain) -> Result<Calc, Error> {
    // SAFETY: the pointer stays owned by `dom`, which outlives the call.
    let mut doms = [unsafe { dom.as_ptr() }, std::ptr::null_mut()];
    let mut records: *mut sys::virDomainStatsRecordPtr = std::ptr::null_mut();
    // SAFETY: `doms` is a NULL-terminated array of valid domains; libvirt
    // allocates the record list, freed below with its own function.
    let n = unsafe {
        sys::virDomainListGetStats(
            doms.as_mut_ptr(),
            sys::VIR_DOMAIN_STATS_DIRTYRATE,
            &raw mut records,
            0,
        )
    };
    if n < 0 {
        return Err(Error::last_error());
    }
    let mut out = Calc::Unstarted;
    if n > 0 && !records.is_null() {
        // SAFETY: `n` records were returned; each holds `nparams` params.
        let rec = unsafe { &**records };
        let get_ll = |name: &CStr| -> Option<i64> {
            let mut v: std::os::raw::c_longlong = 0;
            // SAFETY: params/nparams come from libvirt; name is NUL-terminated.
            let r = unsafe {
                sys::virTypedParamsGetLLong(rec.params, rec.nparams, name.as_ptr(), &raw mut v)
            };
            (r == 1).then_some(v)
        };
        let get_i = |name: &CStr| -> Option<i32> {
            let mut v: std::os::raw::c_int = 0;
            // SAFETY: as above.
            let r = unsafe {
                sys::virTypedParamsGetInt(rec.params, rec.nparams, name.as_ptr(), &raw mut v)
            };
            (r == 1).then_some(v)
        };
        let status = get_i(sys::VIR_DOMAIN_STATS_DIRTYRATE_CALC_STATUS)
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        out = match status {
            sys::VIR_DOMAIN_DIRTYRATE_MEASURING => Calc::Measuring,
            sys::VIR_DOMAIN_DIRTYRATE_MEASURED => Calc::Measured {
                mib_per_sec: get_ll(sys::VIR_DOMAIN_STATS_DIRTYRATE_MEGABYTES_PER_SECOND)
                    .and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(0),
                period_secs: get_ll(sys::VIR_DOMAIN_STATS_DIRTYRATE_CALC_PERIOD)
                    .and_then(|v| u64::try_from(v).ok())
                    .unwrap_or(0),
            },
            _ => Calc::Unstarted,
        };
    }
    // SAFETY: the list came from virDomainListGetStats.
    unsafe { sys::virDomainStatsRecordListFree(records) };
    Ok(out)
}
