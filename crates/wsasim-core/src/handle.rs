//! The process's handle table: `SOCKET`s, events and threads share one namespace, as
//! kernel handles do on Windows.
//!
//! A handle value encodes a slot index and the slot's generation, so a handle that was
//! closed (and whose slot was reused) or never issued is recognised as invalid: a socket
//! call answers `WSAENOTSOCK`, an event call `WSA_INVALID_HANDLE`. Values are multiples
//! of 4, never 0 and never `INVALID_SOCKET`, and are issued in a fixed order (the lowest
//! slot freed longest ago is reused first), so the same run issues the same values.
//!
//! Windows: "The descriptor may immediately be reused by the system" and "it is not
//! reliable to expect further references ... to fail with WSAENOTSOCK" (closesocket).
//! The generation makes our answer reliable; `docs/divergences.md` notes it.

use std::collections::VecDeque;

/// A raw handle value (`SOCKET`, `HANDLE`, `WSAEVENT`).
pub type RawHandle = u64;

const INDEX_BITS: u32 = 20;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// Most handles alive at once.
pub const HANDLES_MAX: usize = (1 << INDEX_BITS) - 2;

#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// A generational table of objects addressed by raw handle values.
#[derive(Debug)]
pub struct HandleTable<T> {
    slots: Vec<Slot<T>>,
    free: VecDeque<u32>,
    live: usize,
}

impl<T> Default for HandleTable<T> {
    fn default() -> Self {
        HandleTable {
            slots: Vec::new(),
            free: VecDeque::new(),
            live: 0,
        }
    }
}

fn encode(index: u32, generation: u32) -> RawHandle {
    ((u64::from(generation) << INDEX_BITS) | (u64::from(index) + 1)) << 2
}

fn decode(h: RawHandle) -> Option<(u32, u32)> {
    if h & 3 != 0 || h == 0 || h == !0 {
        return None;
    }
    let v = h >> 2;
    let index = (v & INDEX_MASK).checked_sub(1)?;
    let generation = u32::try_from(v >> INDEX_BITS).ok()?;
    Some((index as u32, generation))
}

impl<T> HandleTable<T> {
    /// Inserts `value` and returns its new handle, or `None` when the table is full.
    pub fn insert(&mut self, value: T) -> Option<RawHandle> {
        let index = match self.free.pop_front() {
            Some(i) => i,
            None => {
                if self.slots.len() >= HANDLES_MAX {
                    return None;
                }
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        debug_assert!(slot.value.is_none(), "free list held a live slot");
        slot.value = Some(value);
        self.live += 1;
        Some(encode(index, slot.generation))
    }

    /// The object behind `h`, if `h` is live.
    pub fn get(&self, h: RawHandle) -> Option<&T> {
        let (index, generation) = decode(h)?;
        let slot = self.slots.get(index as usize)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.as_ref()
    }

    /// The object behind `h`, mutably, if `h` is live.
    pub fn get_mut(&mut self, h: RawHandle) -> Option<&mut T> {
        let (index, generation) = decode(h)?;
        let slot = self.slots.get_mut(index as usize)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.as_mut()
    }

    /// Removes the object behind `h`; the handle (and every copy of it) goes stale.
    pub fn remove(&mut self, h: RawHandle) -> Option<T> {
        let (index, generation) = decode(h)?;
        let slot = self.slots.get_mut(index as usize)?;
        if slot.generation != generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1) & 0x3FFF_FFFF;
        self.free.push_back(index);
        self.live -= 1;
        Some(value)
    }

    /// Live objects, in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = (RawHandle, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            s.value
                .as_ref()
                .map(|v| (encode(i as u32, s.generation), v))
        })
    }

    /// How many objects are live.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no object is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_and_never_issued_handles_are_invalid() {
        let mut t = HandleTable::default();
        let a = t.insert("a").unwrap();
        assert_eq!(t.get(a), Some(&"a"));
        assert_eq!(a % 4, 0);
        assert!(t.get(a + 4).is_none(), "never issued");
        assert!(t.get(0).is_none() && t.get(!0).is_none() && t.get(a + 1).is_none());
        assert_eq!(t.remove(a), Some("a"));
        let b = t.insert("b").unwrap();
        assert_ne!(a, b, "the slot is reused with a new generation");
        assert!(t.get(a).is_none(), "the old handle is stale");
        assert_eq!(t.get(b), Some(&"b"));
        assert!(t.remove(a).is_none());
    }

    #[test]
    fn values_are_issued_in_a_fixed_order() {
        let run = || {
            let mut t = HandleTable::default();
            let hs: Vec<_> = (0..5).map(|i| t.insert(i).unwrap()).collect();
            t.remove(hs[3]);
            t.remove(hs[1]);
            (0..3).map(|i| t.insert(i).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
