//! The kernel's view of the system clock's accuracy (`adjtimex`, read only),
//! so a merge can tell whether cross-machine latencies are trustworthy.

use super::manifest::ClockState;

/// Reads the clock's synchronisation state with `adjtimex(2)` in read-only
/// mode (`modes = 0`). `TIME_ERROR` or `STA_UNSYNC` mean not synchronised;
/// the maximum and estimated errors are in µs. Where the call is not
/// available every field is `None` and `source` says so.
pub fn read() -> ClockState {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a zeroed `timex` with `modes = 0` asks the kernel to fill it
        // in and change nothing; the pointer is to a live local.
        let mut tx: libc::timex = unsafe { std::mem::zeroed() };
        tx.modes = 0;
        let state = unsafe { libc::adjtimex(&mut tx) };
        if state >= 0 {
            let unsync = state == libc::TIME_ERROR || (tx.status & libc::STA_UNSYNC) != 0;
            return ClockState {
                synchronised: Some(!unsync),
                max_error_us: u64::try_from(tx.maxerror).ok(),
                est_error_us: u64::try_from(tx.esterror).ok(),
                source: "adjtimex".to_string(),
            };
        }
    }
    ClockState::unknown()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_without_changing_anything() {
        let state = super::read();
        if cfg!(target_os = "linux") {
            assert_eq!(state.source, "adjtimex");
            assert!(state.synchronised.is_some());
        }
    }
}
