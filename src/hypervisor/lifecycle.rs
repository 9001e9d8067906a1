//! The lifetime of everything vmigrate starts inside libvirt: its event-loop
//! thread and every connection, so that the process exits only after all
//! of them are gone.
//!
//! Why it matters: `exit()` runs the C libraries' atexit clean-up (OpenSSL's
//! among them). If a blocking thread is still inside `virConnectClose` — or
//! the event loop is still polling a connection's socket — that clean-up
//! frees memory the other thread is using, and about one run in a few
//! hundred ended in `malloc_consolidate(): invalid chunk size` or a
//! segfault. So every connection is counted from the moment it starts
//! opening until its close has returned, [`shutdown`] waits for the count
//! to reach zero and then stops and joins the event loop, and only when
//! something cannot be waited for (a call stuck on a dead host) does the
//! caller leave without running atexit handlers at all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Connections being opened, open, or being closed (`live`), and how many
/// of them are opens that vmigrate gave up waiting for (`stuck`): those
/// threads may stay inside libvirt for as long as the network lets them.
struct Counts {
    live: usize,
    stuck: usize,
}

static COUNTS: Mutex<Counts> = Mutex::new(Counts { live: 0, stuck: 0 });
static ALL_CLOSED: Condvar = Condvar::new();

fn counts() -> std::sync::MutexGuard<'static, Counts> {
    COUNTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The event-loop thread, once started, and its stop flag.
static EVENT_THREAD: Mutex<Option<JoinHandle<()>>> = Mutex::new(None);
static STOP: AtomicBool = AtomicBool::new(false);

/// Counts one connection (from before it opens until its close returned).
/// Dropping it uncounts the connection: drop it only after the close.
pub struct Live(());

impl Live {
    /// Counts a connection that is about to be opened.
    pub fn start() -> Live {
        counts().live += 1;
        Live(())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let mut c = counts();
        c.live = c.live.saturating_sub(1);
        ALL_CLOSED.notify_all();
    }
}

/// One open running on a blocking thread, which its caller may stop
/// waiting for ([`Opening::give_up`]); the thread reports back when the
/// open returned ([`Opening::returned`]), whatever the caller did.
#[derive(Clone, Default)]
pub struct Opening(Arc<(AtomicBool, AtomicBool)>);

impl Opening {
    /// The caller stopped waiting: until the open returns, its thread is
    /// stuck in libvirt and [`shutdown`] does not wait for it.
    pub fn give_up(&self) {
        let mut c = counts();
        let (given_up, returned) = &*self.0;
        if !returned.load(Ordering::Relaxed) {
            given_up.store(true, Ordering::Relaxed);
            c.stuck += 1;
        }
    }

    /// The open returned (the connection, if any, is now counted as live).
    pub fn returned(&self) {
        let mut c = counts();
        let (given_up, returned) = &*self.0;
        returned.store(true, Ordering::Relaxed);
        if given_up.swap(false, Ordering::Relaxed) {
            c.stuck = c.stuck.saturating_sub(1);
            ALL_CLOSED.notify_all();
        }
    }
}

/// Starts libvirt's default event loop on a thread that [`shutdown`] can
/// stop and join. Called once, by `hypervisor::init`.
pub(super) fn start_event_loop() {
    if virt::event::event_register_default_impl().is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("libvirt-events".into())
        .spawn(|| {
            while !STOP.load(Ordering::Acquire) {
                if virt::event::event_run_default_impl().is_err() {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
    if let Ok(handle) = spawned {
        *EVENT_THREAD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(handle);
    }
}

/// Waits up to `limit` for every libvirt connection to be closed, then
/// stops the event loop and joins its thread. `true` when all of that
/// happened: nothing of libvirt's runs any more, and the process may exit
/// normally. `false`: a thread is still inside libvirt (a call stuck on an
/// unreachable host) and the process must not run atexit handlers.
pub fn shutdown(limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut c = counts();
    // Stuck opens are not waited for (they may take minutes), but the
    // connections being closed are: they end within the keepalive.
    while c.live > c.stuck {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        c = ALL_CLOSED
            .wait_timeout(c, left)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
    if c.live > 0 {
        tracing::debug!(
            live = c.live,
            stuck = c.stuck,
            "libvirt connections still open at exit"
        );
        return false;
    }
    drop(c);
    stop_event_loop(deadline)
}

/// Sets the stop flag and wakes the loop with an immediate timer (it may
/// be blocked in `poll()` with nothing to watch), then joins the thread.
fn stop_event_loop(deadline: Instant) -> bool {
    let Some(handle) = EVENT_THREAD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    else {
        return true;
    };
    STOP.store(true, Ordering::Release);
    // A 0 ms timer fires on every loop iteration until removed, so the
    // thread sees the flag right after its current poll returns.
    let wake = virt::event::event_add_timeout(0, |_, _| {}, std::ptr::null_mut());
    while !handle.is_finished() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if let Ok(w) = wake {
        // The loop is gone, so libvirt never frees the timer's callback
        // data: a few bytes, once, at exit.
        let _ = w.event_remove_timeout();
    }
    handle.join().is_ok()
}
