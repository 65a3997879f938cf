//! The shard processes of a `--processes` run: this same executable as
//! `agentload run PROFILE --shard I/N`, each in its own process group (a
//! Ctrl-C at the terminal reaches the parent only, which forwards it once)
//! and told to stop should the parent die. The password never goes on their
//! command line: they read it as the parent would (the profile, or the
//! environment variable or file named by `--password-env`/`--password-file`).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::cli::RunArgs;
use crate::error::Error;
use crate::shard::ShardSpec;

/// What every shard of the run shares.
pub(super) struct ShardFlags<'a> {
    pub(super) args: &'a RunArgs,
    pub(super) run_id: &'a str,
    pub(super) seed: u64,
    pub(super) start_at: &'a str,
    /// The target every shard loads (the parent's simulator, or the user's).
    pub(super) target: &'a str,
}

/// A started shard process.
pub(super) struct ShardProcess {
    pub(super) spec: ShardSpec,
    pub(super) dir: PathBuf,
    /// Its stdout and stderr.
    pub(super) log: PathBuf,
    pub(super) child: Child,
}

impl ShardProcess {
    /// Sends `signal` (SIGINT, SIGTERM) to the shard, if it still runs.
    pub(super) fn signal(&self, signal: libc::c_int) {
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) on a pid this process spawned and has not reaped.
            unsafe {
                libc::kill(pid, signal);
            }
        }
    }
}

/// The arguments of shard `spec` (without the executable).
pub(super) fn shard_args(flags: &ShardFlags<'_>, spec: ShardSpec, dir: &Path) -> Vec<String> {
    let a = flags.args;
    let mut out: Vec<String> = vec!["run".into(), a.profile.display().to_string()];
    let mut pair = |flag: &str, value: String| {
        out.push(flag.to_string());
        out.push(value);
    };
    pair("--shard", spec.to_string());
    pair("--run-id", flags.run_id.to_string());
    pair("--seed", flags.seed.to_string());
    pair("--start-at", flags.start_at.to_string());
    pair("--target", flags.target.to_string());
    pair("--out", dir.display().to_string());
    if let Some(agents) = a.agents {
        pair("--agents", agents.to_string());
    }
    if let Some(d) = a.duration {
        pair("--duration", format!("{}ms", d.0.as_millis()));
    }
    if let Some(list) = &a.source_addresses {
        pair("--source-addresses", list.clone());
    }
    if let Some(ca) = &a.ca_file {
        pair("--ca-file", ca.display().to_string());
    }
    if let Some(name) = &a.password_env {
        pair("--password-env", name.clone());
    }
    if let Some(path) = &a.password_file {
        pair("--password-file", path.display().to_string());
    }
    if let Some(n) = a.threads {
        pair("--threads", n.to_string());
    }
    if a.insecure {
        out.push("--insecure".into());
    }
    out.push("--quiet".into());
    out
}

/// Starts shard `spec`, its output in `dir` and its stdout and stderr in `log`.
pub(super) fn spawn(
    flags: &ShardFlags<'_>,
    spec: ShardSpec,
    dir: PathBuf,
    log: PathBuf,
) -> Result<ShardProcess, Error> {
    let exe = std::env::current_exe().map_err(|e| {
        Error::run(format!(
            "cannot find the agentload executable to start the shards: {e}"
        ))
    })?;
    let out = File::create(&log).map_err(|e| {
        Error::run(format!(
            "cannot create {}: {e}; pick another folder with --out",
            log.display()
        ))
    })?;
    let err = out
        .try_clone()
        .map_err(|e| Error::run(format!("cannot share {}: {e}", log.display())))?;
    let mut command = Command::new(exe);
    command
        .args(shard_args(flags, spec, &dir))
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(2) is async-signal-safe; it only asks the kernel to send
    // SIGTERM to the shard when its parent dies, so no shard outlives a
    // killed parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let child = command
        .spawn()
        .map_err(|e| Error::run(format!("cannot start shard {spec}: {e}")))?;
    Ok(ShardProcess {
        spec,
        dir,
        log,
        child,
    })
}

/// The last lines of a shard's log, for saying why it failed.
pub(super) fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn a_shard_gets_the_run_identity_and_the_overrides_but_never_a_password() {
        let cli = crate::cli::Cli::try_parse_from([
            "agentload",
            "run",
            "p.toml",
            "--processes",
            "2",
            "--agents",
            "40",
            "--duration",
            "1m",
            "--password-env",
            "AGENT_PW",
            "--threads",
            "2",
            "--gate",
            "errors.total == 0",
        ])
        .unwrap();
        let crate::cli::Command::Run(args) = cli.command else {
            panic!("not run");
        };
        let flags = ShardFlags {
            args: &args,
            run_id: "r-1",
            seed: 7,
            start_at: "2026-12-02T15:00:00Z",
            target: "http://127.0.0.1:9",
        };
        let spec: ShardSpec = "1/2".parse().unwrap();
        let got = shard_args(&flags, spec, Path::new("out/shards/shard-1")).join(" ");
        assert_eq!(
            got,
            "run p.toml --shard 1/2 --run-id r-1 --seed 7 --start-at 2026-12-02T15:00:00Z \
             --target http://127.0.0.1:9 --out out/shards/shard-1 --agents 40 --duration 60000ms \
             --password-env AGENT_PW --threads 2 --quiet"
        );
        // The merge judges the gates, once.
        assert!(!got.contains("--gate"));
    }
}
