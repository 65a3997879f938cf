//! The open-file limit: every agent holds sockets, and a run that hits
//! `EMFILE` halfway fails in confusing ways. Raise the soft limit as far as
//! the hard limit allows and say before the run when that is not enough.

use crate::error::Error;

/// Descriptors per agent on the generator side: its long-poll connection,
/// plus a fifth for REST calls in flight at busy moments (REST calls share
/// the pool's idle connections, see [`POOL_IDLE`]).
pub fn per_agent(agents: u64) -> u64 {
    agents + agents / 5
}

/// Idle pooled connections the generator keeps (`http::POOL_MAX_IDLE_PER_HOST`).
pub const POOL_IDLE: u64 = crate::http::POOL_MAX_IDLE_PER_HOST as u64;

/// Descriptors kept for the process itself: output files, stdio, the runtime.
pub const MARGIN: u64 = 256;

/// The process's open-file limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NofileLimit {
    /// The limit in force.
    pub soft: u64,
    /// The most the process may raise it to without privileges.
    pub hard: u64,
}

/// Descriptors a simulator needs for `users` logged-in agents: the server
/// end of every client connection.
pub fn simulator_descriptors(users: u32) -> u64 {
    per_agent(u64::from(users)) + POOL_IDLE + MARGIN
}

/// Descriptors a run needs for `peak_agents`. With the embedded simulator
/// in the same process, every open connection has a server end too.
pub fn descriptors_needed(peak_agents: u32, embedded_simulator: bool) -> u64 {
    let client = per_agent(u64::from(peak_agents)) + POOL_IDLE;
    if embedded_simulator {
        client + simulator_descriptors(peak_agents)
    } else {
        client + MARGIN
    }
}

/// The most agents one generator process may hold (the embedded simulator
/// elsewhere) with `limit` open files: the inverse of [`descriptors_needed`].
pub fn agents_per_process(limit: u64) -> u32 {
    let for_agents = limit.saturating_sub(POOL_IDLE + MARGIN);
    u32::try_from(for_agents * 5 / 6).unwrap_or(u32::MAX)
}

/// The current limits.
#[cfg(unix)]
// rlim_t is u64 here but narrower on some targets; the conversion is for those.
#[allow(clippy::useless_conversion)]
pub fn current() -> std::io::Result<NofileLimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(NofileLimit {
        soft: u64::from(lim.rlim_cur),
        hard: u64::from(lim.rlim_max),
    })
}

/// Raises the soft limit to the hard limit, and past it to `wanted` when the
/// process may raise its hard limit (root); returns the limits now in force.
#[cfg(unix)]
// rlim_t is u64 here but narrower on some targets; the conversion is for those.
#[allow(clippy::useless_conversion)]
pub fn raise(wanted: u64) -> std::io::Result<NofileLimit> {
    let now = current()?;
    if wanted > now.hard && set(wanted, wanted).is_ok() {
        return current();
    }
    if now.soft >= now.hard {
        return Ok(now);
    }
    // An unlimited hard limit is not accepted as a soft value everywhere
    // (macOS caps it at OPEN_MAX); a million descriptors is plenty.
    let soft = if now.hard == u64::from(libc::RLIM_INFINITY) {
        1 << 20
    } else {
        now.hard
    };
    set(soft, now.hard)?;
    current()
}

#[cfg(unix)]
#[allow(clippy::useless_conversion)]
fn set(soft: u64, hard: u64) -> std::io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: libc::rlim_t::try_from(soft).unwrap_or(libc::rlim_t::MAX),
        rlim_max: libc::rlim_t::try_from(hard).unwrap_or(libc::rlim_t::MAX),
    };
    // SAFETY: setrlimit only reads the struct we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Without rlimits there is nothing to raise; report an unlimited budget.
#[cfg(not(unix))]
pub fn current() -> std::io::Result<NofileLimit> {
    Ok(NofileLimit {
        soft: u64::MAX,
        hard: u64::MAX,
    })
}

/// Without rlimits there is nothing to raise.
#[cfg(not(unix))]
pub fn raise(_wanted: u64) -> std::io::Result<NofileLimit> {
    current()
}

/// Checks `needed` descriptors against `limit`; the error says how to fix it.
pub fn check(needed: u64, limit: NofileLimit, peak_agents: u32) -> Result<(), Error> {
    if needed <= limit.soft {
        return Ok(());
    }
    let fix = if needed <= limit.hard {
        format!("run `ulimit -n {needed}` in this shell first")
    } else {
        format!(
            "the hard limit is {}, so raise it first: as root run `ulimit -Hn {needed}` (or set `nofile` in /etc/security/limits.conf, or LimitNOFILE= for a systemd service), then `ulimit -n {needed}`",
            limit.hard
        )
    };
    Err(Error::input(format!(
        "{peak_agents} agents need about {needed} open files, but this process may open only {}; {fix}; or lower the peak with --agents",
        limit.soft
    )))
}

/// Raises the limit as far as allowed, then checks it covers a run of
/// `peak_agents`. Returns the limits in force.
pub fn ensure(peak_agents: u32, embedded_simulator: bool) -> Result<NofileLimit, Error> {
    ensure_for(
        descriptors_needed(peak_agents, embedded_simulator),
        peak_agents,
    )
}

/// Descriptors the busier of two processes needs when the simulator runs
/// in its own: the generator's side or the simulator's.
pub fn descriptors_apart(peak_agents: u32) -> u64 {
    descriptors_needed(peak_agents, false).max(simulator_descriptors(peak_agents))
}

/// [`ensure`] for a number of descriptors already worked out.
pub fn ensure_for(needed: u64, peak_agents: u32) -> Result<NofileLimit, Error> {
    let limit = raise(needed)
        .or_else(|_| current())
        .map_err(|e| Error::run(format!("cannot read the open-file limit: {e}")))?;
    check(needed, limit, peak_agents)?;
    Ok(limit)
}

/// Whether one process may open `needed` files, raising its soft limit as
/// far as that is allowed.
pub fn fits(needed: u64) -> bool {
    raise(needed)
        .or_else(|_| current())
        .is_ok_and(|limit| needed <= limit.soft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_grows_with_agents_and_the_embedded_simulator() {
        assert_eq!(descriptors_needed(0, false), POOL_IDLE + MARGIN);
        assert_eq!(descriptors_needed(1000, false), 1200 + POOL_IDLE + MARGIN);
        assert_eq!(
            descriptors_needed(1000, true),
            2 * (1200 + POOL_IDLE) + MARGIN
        );
        assert!(
            descriptors_needed(10_000, false) < 20_000,
            "10k agents fit a 20k limit against a separate target"
        );
    }

    #[test]
    fn too_low_a_limit_names_the_fix() {
        let limit = NofileLimit {
            soft: 1024,
            hard: 4096,
        };
        assert!(check(1000, limit, 100).is_ok());
        let err = check(3256, limit, 1000).unwrap_err().to_string();
        assert!(err.contains("ulimit -n 3256"), "{err}");
        let err = check(30_256, limit, 10_000).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let msg = err.to_string();
        assert!(msg.contains("hard limit is 4096"), "{msg}");
        assert!(msg.contains("ulimit -Hn 30256"), "{msg}");
    }

    #[cfg(unix)]
    #[test]
    fn raising_reaches_the_hard_limit_or_a_million() {
        let after = raise(0).unwrap();
        assert!(
            after.soft == after.hard || after.soft == 1 << 20,
            "{after:?}"
        );
        assert_eq!(current().unwrap(), after);
    }
}
