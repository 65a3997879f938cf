//! The simulator as a cluster of nodes: `agentload serve --nodes 2` prints
//! two node URLs whose `/sim/stats` add up to what a run against
//! `[target] urls = [both]` counts, with interactions created on both; a run
//! with `--simulator-nodes 2` splits its embedded simulator the same way, and
//! two shards on the two nodes add up to the nodes' counts too.
//! A node lets in its own agents only (403 for the others), and a run's
//! long-polls may come from several loopback source addresses. Plus the
//! input errors (`url` and `urls` together, a node twice) and the
//! pre-flight check of open files, which names what to set.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::support::heavy;
use super::support::profile::{Profile, Simulator, Traffic};
use super::support::run::{BIN, Dir, counter, run, run_text, sim_figure, sim_stats};

/// `agentload serve --nodes K` in the background; killed when dropped.
struct ServedNodes {
    child: Child,
    /// Every node's URL, from the `nodes URL URL ...` line.
    urls: Vec<String>,
}

impl ServedNodes {
    fn start(nodes: u32, agents: u32) -> ServedNodes {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--invite-timeout", "3s"])
            .args(["--agents", &agents.to_string()])
            .args(["--nodes", &nodes.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = Vec::new();
        // One line per node, then the `nodes` line: bounded.
        for line in stdout.lines().take(nodes as usize + 1) {
            let line = line.unwrap();
            if let Some(urls) = line.strip_prefix("nodes ") {
                let urls: Vec<String> = urls.split_whitespace().map(String::from).collect();
                assert_eq!(urls.len(), nodes as usize, "{line}");
                return ServedNodes { child, urls };
            }
            printed.push(line);
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("no `nodes` line in {printed:#?}");
    }
}

impl Drop for ServedNodes {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 12 agents on email and chat, 4 of each a second for 5 s, a 4 s drain.
fn profile(name: &'static str) -> Profile {
    Profile {
        traffic: Traffic {
            email_rate: 4.0,
            chat_rate: 4.0,
            drain: "4s",
            ..Traffic::default()
        },
        simulator: Simulator::default(),
        ..Profile::bounded(name, 12, "1s", "4s")
    }
}

/// `profile` with a `[target]` table of `target` (TOML lines).
fn with_target(profile: &Profile, target: &str) -> String {
    format!("{}\n[target]\n{target}\n", profile.to_toml())
}

fn toml_list(urls: &[String]) -> String {
    let quoted: Vec<String> = urls.iter().map(|u| format!("{u:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

#[test]
fn a_run_on_two_served_nodes_creates_on_both_and_their_stats_add_up() {
    let _heavy = heavy::slot();
    let served = ServedNodes::start(2, 50);
    let dir = Dir::new("nodes-urls");
    let text = with_target(
        &profile("nodes-urls"),
        &format!("urls = {}", toml_list(&served.urls)),
    );
    let ran = run_text(&text, &dir.0, &[]);
    assert_eq!(ran.code, 0, "{}", ran.log);
    let summary = ran.summary();
    let injected = counter(summary, "interactions_injected");
    assert!(injected > 20, "8/s for 5 s: {injected}");
    assert_eq!(counter(summary, "interactions_lost"), 0, "{summary}");
    let stats: Vec<Value> = served.urls.iter().map(|u| sim_stats(u, None)).collect();
    let on_node: Vec<u64> = stats
        .iter()
        .map(|s| s["injected"].as_u64().unwrap())
        .collect();
    // Interaction k is created on node k % 2: both get half, give or take one.
    assert_eq!(on_node.iter().sum::<u64>(), injected, "{stats:?}");
    assert!(on_node[0].abs_diff(on_node[1]) <= 1, "{on_node:?}");
    // Each node offers its interactions to its own agents only, so every
    // node's offers are its own and they too add up to the run's.
    let offered: u64 = stats.iter().map(|s| s["offered"].as_u64().unwrap()).sum();
    assert!(offered >= injected, "{stats:?}");
    for s in &stats {
        assert!(s["accepted"].as_u64().unwrap() > 0, "{s}");
    }
}

#[test]
fn a_run_with_two_simulator_nodes_passes_and_counts_both() {
    let _heavy = heavy::slot();
    let dir = Dir::new("nodes-embedded");
    let ran = run(
        &profile("nodes-embedded"),
        &dir.0,
        &["--simulator-nodes", "2"],
    );
    assert_eq!(ran.code, 0, "{}", ran.log);
    let summary = ran.summary();
    let injected = counter(summary, "interactions_injected");
    assert!(injected > 20, "8/s for 5 s: {injected}");
    assert_eq!(counter(summary, "interactions_lost"), 0, "{summary}");
    // The printed simulator counts are the two nodes' summed.
    assert_eq!(sim_figure(&ran.log, "injected"), injected, "{}", ran.log);
    let text = summary.to_string();
    for node in ["simulator node 1 of 2", "simulator node 2 of 2"] {
        assert!(text.contains(node), "{node}: {text}");
    }
}

#[test]
fn url_and_urls_together_are_refused_naming_both() {
    let dir = Dir::new("nodes-both");
    let text = with_target(
        &profile("nodes-both"),
        "url = \"http://127.0.0.1:9\"\nurls = [\"http://127.0.0.1:9\", \"http://127.0.0.1:10\"]",
    );
    let ran = run_text(&text, &dir.0, &[]);
    assert_eq!(ran.code, 2, "{}", ran.log);
    assert!(ran.log.contains("target.urls"), "{}", ran.log);
    assert!(ran.log.contains("target.url"), "{}", ran.log);
    assert!(ran.summary.is_none());
}

#[test]
fn a_node_listed_twice_is_refused() {
    let dir = Dir::new("nodes-twice");
    let text = with_target(
        &profile("nodes-twice"),
        "urls = [\"http://127.0.0.1:9\", \"http://127.0.0.1:9/\"]",
    );
    let ran = run_text(&text, &dir.0, &[]);
    assert_eq!(ran.code, 2, "{}", ran.log);
    assert!(ran.log.contains("target.urls[1]"), "{}", ran.log);
    assert!(ran.log.contains("listed twice"), "{}", ran.log);
}

/// `agentload check FILE` with the open-file limit (soft and hard) at
/// `limit`: its exit code and stdout then stderr.
fn check_under_limit(file: &std::path::Path, limit: u32) -> (i32, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" check \"$1\""))
        .arg(BIN)
        .arg(file)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn check_says_when_the_plan_needs_more_files_than_a_process_may_open() {
    let dir = Dir::new("nodes-files");
    let file = dir.join("profile.toml");
    // 2,000 agents need about 3,200 files in one generator process.
    Profile::bounded("nodes-files", 2_000, "10s", "10s").write(&file);
    let (code, log) = check_under_limit(&file, 1_024);
    assert_eq!(code, 0, "a warning, the profile is valid: {log}");
    let warning = log
        .lines()
        .find(|l| l.starts_with("warning:") && l.contains("open files"))
        .unwrap_or_else(|| panic!("no open-file warning in\n{log}"));
    assert!(warning.contains("1024"), "{warning}");
    assert!(
        warning.contains("--shard I/"),
        "names what to set: {warning}"
    );
    // The same plan fits the usual limit: nothing to say.
    let (code, log) = check_under_limit(&file, 20_000);
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains("warning:"), "{log}");
}

#[tokio::test]
async fn a_node_lets_in_its_own_agents_only() {
    use agentload::sim::NodeSlice;
    use std::time::Duration;

    use super::support::sim::{agent, config, start};

    // Node 1 of 2 owns pool indexes 1, 3, ...: agent2, agent4, ...
    let sim = start(agentload::sim::SimulatorConfig {
        node: NodeSlice::new(1, 2),
        ..config(4, Duration::from_secs(30))
    })
    .await;
    let base = sim.url();
    assert_eq!(agent(&base, 2).get("/api/v2/me").await.status, 200);
    assert_eq!(agent(&base, 4).get("/api/v2/me").await.status, 200);
    let refused = agent(&base, 1).get("/api/v2/me").await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json.to_string().contains("another node"),
        "{}",
        refused.json
    );
    sim.shutdown(Duration::from_millis(100)).await;
}

#[test]
fn a_run_spreading_its_long_polls_over_loopback_addresses_passes() {
    let _heavy = heavy::slot();
    let dir = Dir::new("nodes-sources");
    let ran = run(
        &profile("nodes-sources"),
        &dir.0,
        &["--source-addresses", "127.0.0.2-127.0.0.4"],
    );
    assert_eq!(ran.code, 0, "{}", ran.log);
    let summary = ran.summary();
    assert!(counter(summary, "interactions_injected") > 20, "{summary}");
    assert_eq!(counter(summary, "interactions_lost"), 0, "{summary}");
}

#[test]
fn two_shards_on_two_served_nodes_add_up_to_the_nodes_counts() {
    let _heavy = heavy::slot();
    let served = ServedNodes::start(2, 50);
    let dir = Dir::new("nodes-shards");
    let file = dir.join("profile.toml");
    let text = with_target(
        &profile("nodes-shards"),
        &format!("urls = {}", toml_list(&served.urls)),
    );
    std::fs::write(&file, text).unwrap();
    // Far enough ahead for the slower shard's start-up on a loaded machine.
    let at = agentload::shard::start::rfc3339(
        std::time::SystemTime::now() + std::time::Duration::from_secs(5),
    );
    let children: Vec<_> = (0..2)
        .map(|i| {
            Command::new(BIN)
                .arg("run")
                .arg(&file)
                .args(["--quiet", "--run-id", "nodes-1", "--seed", "5"])
                .args(["--start-at", &at, "--shard", &format!("{i}/2"), "--out"])
                .arg(dir.join(&format!("shard-{i}")))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut injected = 0;
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let log = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "shard {i}:\n{log}");
        let summary: Value = serde_json::from_slice(
            &std::fs::read(dir.join(&format!("shard-{i}")).join("summary.json")).unwrap(),
        )
        .unwrap();
        injected += counter(&summary, "interactions_injected");
    }
    assert!(injected > 20, "8/s for 5 s: {injected}");
    let on_nodes: u64 = served
        .urls
        .iter()
        .map(|u| sim_stats(u, None)["injected"].as_u64().unwrap())
        .sum();
    assert_eq!(on_nodes, injected);
}
