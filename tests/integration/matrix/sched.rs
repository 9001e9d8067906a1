//! Runs the cells several at a time on the lab's hosts, keeping them out
//! of each other's way: a host a cell damages (its libvirtd stopped, its
//! link or SSH cut, its disk filled, its memory taken) is used by no other
//! cell meanwhile, and two cells never share a destination (the claims,
//! test files and pre-created disks the invariants look for are there).
//! One cell at a time would not fit the matrix into its time budget.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};

use super::cells::{Fault, Phase, Side};

/// The hosts a cell runs between.
#[derive(Clone, Debug)]
pub struct Pair {
    pub src: String,
    pub dst: String,
}

impl Pair {
    pub fn host(&self, side: Side) -> &str {
        match side {
            Side::Source => &self.src,
            Side::Destination => &self.dst,
        }
    }
}

/// A cell placed on a pair, running.
struct Placed {
    pair: Pair,
    broken: Option<String>,
}

struct State {
    pending: VecDeque<(Fault, Phase)>,
    running: Vec<Placed>,
}

/// The cells left to run and those running.
pub struct Scheduler {
    hosts: Vec<String>,
    state: Mutex<State>,
    changed: Condvar,
}

impl Scheduler {
    pub fn new(hosts: Vec<String>, cells: Vec<(Fault, Phase)>) -> Scheduler {
        Scheduler {
            hosts,
            state: Mutex::new(State {
                pending: cells.into(),
                running: Vec::new(),
            }),
            changed: Condvar::new(),
        }
    }

    /// The next cell that fits beside the running ones, with its pair;
    /// waits while none fits; `None` when all were handed out.
    pub fn next(&self) -> Option<(Fault, Phase, Pair)> {
        let mut st = self.state.lock().unwrap();
        loop {
            if st.pending.is_empty() {
                return None;
            }
            let found = st
                .pending
                .iter()
                .enumerate()
                .find_map(|(i, (f, _))| self.place(*f, &st.running).map(|p| (i, p)));
            if let Some((i, placed)) = found {
                let (fault, phase) = st.pending.remove(i).unwrap();
                let pair = placed.pair.clone();
                st.running.push(placed);
                return Some((fault, phase, pair));
            }
            st = self.changed.wait(st).unwrap();
        }
    }

    /// The cell on `pair` is over: its hosts are free again.
    pub fn done(&self, pair: &Pair) {
        let mut st = self.state.lock().unwrap();
        if let Some(i) = st
            .running
            .iter()
            .position(|p| p.pair.src == pair.src && p.pair.dst == pair.dst)
        {
            st.running.remove(i);
        }
        self.changed.notify_all();
    }

    /// The first pair (source, destination) on which `fault` harms no
    /// running cell and no running cell harms it.
    fn place(&self, fault: Fault, running: &[Placed]) -> Option<Placed> {
        let pairs = self.hosts.iter().flat_map(|s| {
            self.hosts
                .iter()
                .filter(move |d| *d != s)
                .map(move |d| Pair {
                    src: s.clone(),
                    dst: d.clone(),
                })
        });
        for pair in pairs {
            let broken = fault.breaks().map(|side| pair.host(side).to_string());
            let clash = running.iter().any(|r| {
                let theirs = [&r.pair.src, &r.pair.dst];
                let ours = [&pair.src, &pair.dst];
                r.pair.dst == pair.dst
                    || r.broken.as_ref().is_some_and(|b| ours.contains(&b))
                    || broken.as_ref().is_some_and(|b| theirs.contains(&b))
            });
            if !clash {
                return Some(Placed { pair, broken });
            }
        }
        None
    }
}
