//! Rooms: which rooms a subscriber joins, which room a message goes to, and
//! who is in each room right now (the expected receivers of a publish).

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};

use crate::profile::{Assignment, BayeuxSettings, RoomChoice};

/// The rooms subscriber `index` joins (distinct, `rooms_per_subscriber` of them).
pub fn rooms_of(index: u32, settings: &BayeuxSettings, seed: u64) -> Vec<u32> {
    let (rooms, k) = (settings.rooms.max(1), settings.rooms_per_subscriber.max(1));
    let k = k.min(rooms);
    match settings.assignment {
        Assignment::Fixed => {
            let first = u64::from(index) * u64::from(k);
            (0..u64::from(k))
                .map(|j| ((first + j) % u64::from(rooms)) as u32)
                .collect()
        }
        Assignment::Random => {
            let mut rng = StdRng::seed_from_u64(seed ^ u64::from(index).wrapping_mul(0x9E37_79B9));
            sample(&mut rng, rooms as usize, k as usize)
                .into_iter()
                .map(|r| r as u32)
                .collect()
        }
    }
}

/// Picks the room of each message in turn.
#[derive(Debug)]
pub struct RoomPicker {
    choice: RoomChoice,
    rooms: u32,
    rng: StdRng,
}

impl RoomPicker {
    /// Rooms of `settings`, random picks drawn from `seed`.
    pub fn new(settings: &BayeuxSettings, seed: u64) -> RoomPicker {
        RoomPicker {
            choice: settings.room_choice,
            rooms: settings.rooms.max(1),
            rng: StdRng::seed_from_u64(seed ^ 0x005E_ED0F_2007),
        }
    }

    /// The room of message `seq`.
    pub fn room(&mut self, seq: u64) -> u32 {
        match self.choice {
            RoomChoice::RoundRobin => (seq % u64::from(self.rooms)) as u32,
            RoomChoice::Random => self.rng.random_range(0..self.rooms),
        }
    }
}

/// Who is subscribed to each room: a subscriber joins a room once the
/// server confirmed its subscription and leaves it before it stops.
#[derive(Debug)]
pub struct Membership {
    rooms: Vec<Mutex<Vec<u32>>>,
}

impl Membership {
    /// `rooms` empty rooms.
    pub fn new(rooms: u32) -> Membership {
        Membership {
            rooms: (0..rooms.max(1)).map(|_| Mutex::new(Vec::new())).collect(),
        }
    }

    fn room(&self, room: u32) -> Option<std::sync::MutexGuard<'_, Vec<u32>>> {
        let lock = self.rooms.get(room as usize)?;
        Some(lock.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Subscriber `who` is in `room` from now on.
    pub fn join(&self, room: u32, who: u32) {
        if let Some(mut members) = self.room(room)
            && let Err(at) = members.binary_search(&who)
        {
            members.insert(at, who);
        }
    }

    /// Subscriber `who` leaves `room`.
    pub fn leave(&self, room: u32, who: u32) {
        if let Some(mut members) = self.room(room)
            && let Ok(at) = members.binary_search(&who)
        {
            members.remove(at);
        }
    }

    /// The members of `room` now, sorted.
    pub fn members(&self, room: u32) -> Vec<u32> {
        self.room(room).map(|m| m.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(rooms: u32, k: u32, assignment: Assignment) -> BayeuxSettings {
        BayeuxSettings {
            rooms,
            rooms_per_subscriber: k,
            assignment,
            ..BayeuxSettings::default()
        }
    }

    #[test]
    fn fixed_assignment_fills_rooms_evenly() {
        let s = settings(4, 2, Assignment::Fixed);
        assert_eq!(rooms_of(0, &s, 1), vec![0, 1]);
        assert_eq!(rooms_of(1, &s, 1), vec![2, 3]);
        assert_eq!(rooms_of(2, &s, 1), vec![0, 1]);
    }

    #[test]
    fn random_assignment_is_distinct_and_repeatable() {
        let s = settings(10, 3, Assignment::Random);
        let a = rooms_of(5, &s, 7);
        assert_eq!(a, rooms_of(5, &s, 7));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 3);
        assert!(a.iter().all(|r| *r < 10));
    }

    #[test]
    fn members_join_and_leave_once() {
        let m = Membership::new(2);
        m.join(1, 5);
        m.join(1, 3);
        m.join(1, 5);
        assert_eq!(m.members(1), vec![3, 5]);
        m.leave(1, 5);
        assert_eq!(m.members(1), vec![3]);
        assert!(m.members(0).is_empty() && m.members(9).is_empty());
    }

    #[test]
    fn round_robin_cycles_through_the_rooms() {
        let mut p = RoomPicker::new(&settings(3, 1, Assignment::Fixed), 1);
        let rooms: Vec<u32> = (0..6).map(|n| p.room(n)).collect();
        assert_eq!(rooms, vec![0, 1, 2, 0, 1, 2]);
    }
}
