//! How many load-making tests run at once.
//!
//! libtest runs every test of this binary in parallel, one thread per core
//! (`--test-threads`). A test that starts `agentload run` with tens of
//! agents holds a child process, a simulator and hundreds of sockets for
//! several seconds, and asserts bounds that depend on the machine keeping up
//! (time to stop, progress lines per period, shares of accepted invites).
//! Those bounds were set with two such runs side by side, as the separate
//! test binaries ran them on two cores; so at most two run at once on any
//! machine, and light tests run beside them freely.

use std::sync::{Condvar, Mutex, PoisonError};

/// How many heavy tests run at once.
pub const HEAVY_AT_ONCE: usize = 2;

static HEAVY: Slots = Slots::new(HEAVY_AT_ONCE);

/// Waits for one of the [`HEAVY_AT_ONCE`] heavy slots; hold it for the whole test:
/// `let _heavy = heavy::slot();`.
pub fn slot() -> Slot<'static> {
    HEAVY.take()
}

/// Every heavy slot, for a test that measures the whole test process (its
/// peak memory): no load-making test runs beside it. Callers must be
/// serialised among themselves (two taking slots one by one could each hold
/// some and wait for the rest).
pub fn alone() -> Vec<Slot<'static>> {
    (0..HEAVY_AT_ONCE).map(|_| HEAVY.take()).collect()
}

/// A counting semaphore: at most `limit` slots out at once.
pub struct Slots {
    taken: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// One slot of [`Slots`], given back when dropped (also when its test panics).
#[must_use = "the slot is given back when dropped: bind it to a named variable"]
pub struct Slot<'a>(&'a Slots);

impl Slots {
    /// `limit` slots, none taken.
    pub const fn new(limit: usize) -> Slots {
        Slots {
            taken: Mutex::new(0),
            freed: Condvar::new(),
            limit,
        }
    }

    /// Blocks until a slot is free and takes it.
    pub fn take(&self) -> Slot<'_> {
        // A panicking holder never panics while it holds the lock, so a
        // poisoned count is still right.
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        while *taken >= self.limit {
            taken = self
                .freed
                .wait(taken)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *taken += 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut taken = self.0.taken.lock().unwrap_or_else(PoisonError::into_inner);
        *taken -= 1;
        self.0.freed.notify_one();
    }
}

#[test]
fn no_more_slots_are_out_at_once_than_the_limit() {
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let slots = Slots::new(2);
    // Holders meet in pairs: two are surely inside together, and a third
    // let in beside them would be counted.
    let pair = Barrier::new(2);
    let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                let _slot = slots.take();
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                pair.wait();
                inside.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never three");
    assert_eq!(*slots.taken.lock().unwrap(), 0, "every slot given back");
}
