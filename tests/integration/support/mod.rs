//! What the specifications share: the built binary and its runs ([`run`]),
//! the Bayeux client's observer ([`bayeux`]),
//! profiles built in code ([`profile`]), an in-process simulator with a
//! minimal agent client ([`sim`]), and the bound on how many load-making
//! tests run at once ([`heavy`]).

pub mod bayeux;
pub mod heavy;
pub mod profile;
pub mod run;
pub mod sim;
