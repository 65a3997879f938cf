//! The integration tests of agentload, one test binary (linking the crate
//! once instead of once per file), each module the specification of one
//! part, read from the outside: the built binary, the simulator over real
//! HTTP on 127.0.0.1, the Bayeux client and server, the reports.
//!
//! Run one part with a filter: `cargo test --test integration sim_flows`.
//! Tests that put load on the machine hold a [`support::heavy`] slot, so
//! that at most two of them run at once whatever `--test-threads` is.

mod support;

mod bayeux_client;
mod bayeux_http_tls;
mod bayeux_server;
mod cometd_interop;
mod compare_runs;
mod faye_interop;
mod generator_hostile;
#[cfg(feature = "goose")]
mod goose_adapter;
mod http_long_poll;
mod merge_shards;
mod profile_check;
mod profile_load;
mod profile_malformed;
mod profile_plan;
mod pubsub_scenario;
mod report_cli;
mod report_html;
mod report_rebuild;
mod report_writers;
mod run_accounting;
mod run_e2e;
mod run_faults;
mod run_gates;
mod run_processes;
mod run_profile_errors;
mod run_progress;
mod run_shards;
mod run_signals;
mod run_tls;
mod run_verdicts;
mod secrets_redacted;
mod sim_cometd;
mod sim_faults;
mod sim_flows;
mod sim_hostile;
mod sim_nodes;
mod sim_scale;
mod sim_seed_shapes;
mod sim_soak;
mod stdio_closed;
mod text_outputs;
