//! What the specifications share: the built binary and its runs ([`run`]),
//! the Bayeux client's observer ([`bayeux`]),
//! profiles built in code ([`profile`]), an in-process simulator with a
//! minimal agent client ([`sim`]), shards started by hand ([`shards`]), the bound on how many load-making
//! tests run at once ([`heavy`]), and the third-party Bayeux servers run by
//! Node.js ([`node`]).

pub mod bayeux;
pub mod heavy;
pub mod node;
pub mod profile;
pub mod run;
pub mod shards;
pub mod sim;
