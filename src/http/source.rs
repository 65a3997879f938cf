//! Local source addresses for the agents' long-poll connections: one
//! (source address, target address:port) pair has only the ephemeral port
//! range (~28,000 ports on Linux) of connections, so tens of thousands of
//! agents spread theirs over several local addresses (`127.0.0.2-127.0.0.20`
//! on the loopback network, every address of which is local on Linux).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most addresses a list or range may name.
pub const MAX_SOURCE_ADDRESSES: usize = 4096;

/// The local addresses agents bind their long-polls to, as written
/// (`"127.0.0.2-127.0.0.20"` or `"10.0.0.5, 10.0.0.6"`): each node's agents
/// take them in turn (see [`crate::engine::nodes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAddresses {
    written: String,
    addresses: Vec<IpAddr>,
}

impl SourceAddresses {
    /// The addresses, in order.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }

    /// How many there are (at least one).
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// Never true: a parsed list has an address.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}

impl FromStr for SourceAddresses {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut addresses = Vec::new();
        for part in text.split(',').map(str::trim) {
            match part.split_once('-') {
                Some((from, to)) => addresses.extend(range(part, from.trim(), to.trim())?),
                None => addresses.push(address(part)?),
            }
            if addresses.len() > MAX_SOURCE_ADDRESSES {
                return Err(format!(
                    "source addresses {text:?} name more than {MAX_SOURCE_ADDRESSES} addresses; expected fewer (each gives about 28,000 connections per target)"
                ));
            }
        }
        Ok(SourceAddresses {
            written: text.trim().to_string(),
            addresses,
        })
    }
}

fn address(text: &str) -> Result<IpAddr, String> {
    text.parse().map_err(|_| {
        format!(
            "invalid source address {text:?}: expected an IP address of this machine, a range such as \"127.0.0.2-127.0.0.20\", or a comma list such as \"127.0.0.2, 127.0.0.3\""
        )
    })
}

/// `from-to`, both ends included, IPv4 only (an IPv6 range is rarely
/// what someone means; list those).
fn range(part: &str, from: &str, to: &str) -> Result<Vec<IpAddr>, String> {
    let (IpAddr::V4(a), IpAddr::V4(b)) = (address(from)?, address(to)?) else {
        return Err(format!(
            "invalid range {part:?}: ranges are IPv4 only (e.g. \"127.0.0.2-127.0.0.20\"); list IPv6 addresses with commas"
        ));
    };
    let (a, b) = (u32::from(a), u32::from(b));
    if a > b {
        return Err(format!(
            "invalid range {part:?}: the first address is above the last; expected LOW-HIGH, e.g. \"127.0.0.2-127.0.0.20\""
        ));
    }
    if (b - a) as usize >= MAX_SOURCE_ADDRESSES {
        return Err(format!(
            "range {part:?} names more than {MAX_SOURCE_ADDRESSES} addresses; expected a smaller range"
        ));
    }
    Ok((a..=b)
        .map(|n| IpAddr::V4(std::net::Ipv4Addr::from(n)))
        .collect())
}

impl fmt::Display for SourceAddresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl Serialize for SourceAddresses {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.written)
    }
}

impl<'de> Deserialize<'de> for SourceAddresses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_and_a_list_give_every_address_in_order() {
        let r: SourceAddresses = "127.0.0.2-127.0.0.4".parse().unwrap();
        let shown: Vec<String> = r.addresses().iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
        let l: SourceAddresses = "127.0.0.9, ::1, 127.0.1.1-127.0.1.2".parse().unwrap();
        assert_eq!(l.len(), 4);
        assert_eq!(l.to_string(), "127.0.0.9, ::1, 127.0.1.1-127.0.1.2");
    }

    #[test]
    fn mistakes_say_what_is_expected() {
        for (bad, says) in [
            ("127.0.0.300", "expected an IP address"),
            ("", "expected an IP address"),
            ("127.0.0.5-127.0.0.2", "first address is above the last"),
            ("::1-::2", "IPv4 only"),
            ("10.0.0.0-10.1.0.0", "more than 4096"),
            ("localhost", "expected an IP address"),
        ] {
            let err = bad.parse::<SourceAddresses>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
