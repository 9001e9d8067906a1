//! Job calls the `virt` crate lacks or gets wrong.
//!
//! `Domain::job_stats` in virt 0.5 hands libvirt's parameter array to
//! `Vec::from_raw_parts`, which is undefined behaviour when libvirt returns
//! no parameters (a null pointer: the job has not started or has just
//! ended) — seen here as an abort. This wrapper copies the parameters out
//! and lets libvirt free its own memory. `virDomainAbortJob` is not wrapped
//! at all.

use virt::domain::{Domain, JobStats};
use virt::error::Error;
use virt::sys;

/// virDomainGetJobStats, safely.
pub fn job_stats(dom: &Domain, flags: sys::virDomainGetJobStatsFlags) -> Result<JobStats, Error> {
    let mut kind: std::os::raw::c_int = 0;
    let mut params: sys::virTypedParameterPtr = std::ptr::null_mut();
    let mut n: std::os::raw::c_int = 0;
    // SAFETY: `dom` is valid for the call; libvirt fills the out-pointers.
    let r = unsafe {
        sys::virDomainGetJobStats(
            dom.as_ptr(),
            &raw mut kind,
            &raw mut params,
            &raw mut n,
            flags,
        )
    };
    if r < 0 {
        return Err(Error::last_error());
    }
    if params.is_null() || n <= 0 {
        return Ok((kind, Vec::new()).into());
    }
    // SAFETY: libvirt returned `n` initialised parameters at `params`; they
    // are copied (string values are copied again by the conversion, which
    // does not free them) before libvirt frees the array and its strings.
    let copied = unsafe { std::slice::from_raw_parts(params, n.unsigned_abs() as usize) }.to_vec();
    let stats: JobStats = (kind, copied).into();
    unsafe { sys::virTypedParamsFree(params, n) };
    Ok(stats)
}

/// virDomainAbortJob.
pub fn abort_job(dom: &Domain) -> Result<(), Error> {
    // SAFETY: `dom` is a valid domain for the duration of the call.
    let r = unsafe { sys::virDomainAbortJob(dom.as_ptr()) };
    if r < 0 {
        return Err(Error::last_error());
    }
    Ok(())
}

/// virDomainMigrateStartPostCopy: the running migration (started with
/// `VIR_MIGRATE_POSTCOPY`) switches to post-copy.
pub fn start_postcopy(dom: &Domain) -> Result<(), Error> {
    // SAFETY: `dom` is a valid domain for the duration of the call.
    let r = unsafe { sys::virDomainMigrateStartPostCopy(dom.as_ptr(), 0) };
    if r < 0 {
        return Err(Error::last_error());
    }
    Ok(())
}

/// virDomainGetState: (state, reason) — the reason tells a post-copy pause
/// from an operator's.
pub fn state_reason(dom: &Domain) -> Result<(u32, u32), Error> {
    let (mut state, mut reason) = (0, 0);
    // SAFETY: `dom` is valid; libvirt fills the two out-pointers.
    let r = unsafe { sys::virDomainGetState(dom.as_ptr(), &raw mut state, &raw mut reason, 0) };
    if r < 0 {
        return Err(Error::last_error());
    }
    Ok((state.unsigned_abs(), reason.unsigned_abs()))
}
