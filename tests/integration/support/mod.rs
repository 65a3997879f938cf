//! What the specifications share: the built binary and its runs ([`run`]),
//! profiles built in code ([`profile`]), an in-process simulator with a
//! minimal agent client ([`sim`]), the bound on how many load-making
//! tests run at once ([`heavy`]), the third-party Bayeux servers run by
//! Node.js ([`node`]) and an observer of the Bayeux client ([`seen`]).

pub mod heavy;
pub mod node;
pub mod profile;
pub mod run;
pub mod seen;
pub mod sim;
