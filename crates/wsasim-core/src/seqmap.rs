//! [`SeqMap`]: an ordered map for keys that come from a counter (operation ids, socket
//! contexts, thread ids), on the hot path of every send.
//!
//! It behaves as the `BTreeMap` it replaces, with the same method names, and iterates in
//! ascending key order (iteration order is part of the model, DESIGN.md). Entries sit
//! sorted in one `VecDeque`: a new key from a counter is the largest, so insertion is a
//! push at the back; lookups are a binary search over a handful of entries; removing the
//! oldest entry, the usual case (operations mostly complete in order), is a pop at the
//! front. A removal from the middle shifts the shorter side. `docs/performance.md` has
//! the measurements that motivated it.

use std::collections::VecDeque;

/// A key that comes from a counter: how many counter steps `self` is past `base`.
pub trait SeqKey: Ord + Copy {
    /// `Some(steps)` when `self >= base`.
    fn steps_from(self, base: Self) -> Option<usize>;
}

impl SeqKey for u64 {
    #[inline]
    fn steps_from(self, base: u64) -> Option<usize> {
        self.checked_sub(base).and_then(|d| usize::try_from(d).ok())
    }
}

impl SeqKey for crate::thread::ThreadId {
    /// Thread ids are multiples of 4.
    #[inline]
    fn steps_from(self, base: Self) -> Option<usize> {
        self.0.checked_sub(base.0).map(|d| d as usize / 4)
    }
}

/// An ordered map over a sorted deque of `(key, value)`.
#[derive(Clone)]
pub struct SeqMap<K, V> {
    entries: VecDeque<(K, V)>,
}

impl<K, V> Default for SeqMap<K, V> {
    fn default() -> Self {
        SeqMap {
            entries: VecDeque::new(),
        }
    }
}

impl<K: SeqKey + core::fmt::Debug, V: core::fmt::Debug> core::fmt::Debug for SeqMap<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: SeqKey, V> SeqMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would go.
    #[inline]
    fn find(&self, key: &K) -> Result<usize, usize> {
        let n = self.entries.len();
        let Some(&(front, _)) = self.entries.front() else {
            return Err(0);
        };
        // While no key in between was removed, a key sits `steps` entries past the
        // front: one comparison.
        let Some(steps) = key.steps_from(front) else {
            return Err(0);
        };
        if steps < n && self.entries[steps].0 == *key {
            return Ok(steps);
        }
        let back = self.entries[n - 1].0;
        if back < *key {
            return Err(n);
        }
        self.find_slow(key)
    }

    #[cold]
    fn find_slow(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// Inserts `value` under `key`; returns the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.entries[i].1, value)),
            Err(i) if i == self.entries.len() => {
                self.entries.push_back((key, value));
                None
            }
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value under `key`.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value under `key`, mutably.
    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.find(key).ok().map(|i| &mut self.entries[i].1)
    }

    /// Whether `key` is present.
    #[inline]
    pub fn contains_key(&self, key: &K) -> bool {
        self.find(key).is_ok()
    }

    /// Removes and returns the value under `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key).ok()?;
        if i == 0 {
            return self.entries.pop_front().map(|(_, v)| v);
        }
        self.entries.remove(i).map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(key, value)` pairs in ascending key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// `(key, value)` pairs in ascending key order, values mutable.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + '_ {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keys in ascending order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in ascending key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Values in ascending key order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| f(k, v));
    }
}

/// An ordered map for long-lived entries whose keys come from a counter (socket
/// contexts, threads): slot `key - base` of a vector holds the boxed entry, so a lookup
/// is an index, not a search. Removed entries leave an empty slot (8 bytes) until the
/// slots before them are empty too; leading empty slots are dropped as they pile up.
/// Iteration is in ascending key order, as the `BTreeMap` it replaces.
#[derive(Clone)]
pub struct SlotMap<K, V> {
    /// The key of `slots[0]`, once there is one.
    base: Option<K>,
    slots: Vec<Option<Box<(K, V)>>>,
    len: usize,
}

impl<K, V> Default for SlotMap<K, V> {
    fn default() -> Self {
        SlotMap {
            base: None,
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<K: SeqKey + core::fmt::Debug, V: core::fmt::Debug> core::fmt::Debug for SlotMap<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: SeqKey, V> SlotMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn slot(&self, key: &K) -> Option<usize> {
        let i = key.steps_from(self.base?)?;
        // A key between two counter values (never issued) maps onto a slot holding
        // another key: the stored key decides.
        match self.slots.get(i) {
            Some(Some(e)) if e.0 == *key => Some(i),
            _ => None,
        }
    }

    /// Inserts `value` under `key`; returns the value it replaces. Keys are counter
    /// values: the vector spans from the smallest key held to the largest, so keys far
    /// apart cost memory in between.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(i) = self.slot(&key) {
            let e = self.slots[i].as_mut().expect("slot() found it");
            return Some(core::mem::replace(&mut e.1, value));
        }
        let base = *self.base.get_or_insert(key);
        if let Some(before) = base.steps_from(key).filter(|&d| d > 0) {
            // Below the oldest key held (one removed and put back): grow at the front.
            self.slots
                .splice(0..0, core::iter::repeat_with(|| None).take(before));
            self.base = Some(key);
        }
        let base = self.base.expect("set above");
        let i = key.steps_from(base).expect("key >= base here");
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        assert!(
            self.slots[i].is_none(),
            "SlotMap: two keys map onto one slot (keys must be counter values)"
        );
        self.slots[i] = Some(Box::new((key, value)));
        self.len += 1;
        None
    }

    /// The value under `key`.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        let i = self.slot(key)?;
        self.slots[i].as_deref().map(|e| &e.1)
    }

    /// The value under `key`, mutably.
    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let i = self.slot(key)?;
        self.slots[i].as_deref_mut().map(|e| &mut e.1)
    }

    /// Whether `key` is present.
    #[inline]
    pub fn contains_key(&self, key: &K) -> bool {
        self.slot(key).is_some()
    }

    /// Removes and returns the value under `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.slot(key)?;
        let (_, v) = *self.slots[i].take().expect("slot() found it");
        self.len -= 1;
        self.trim();
        Some(v)
    }

    /// Drops leading empty slots once they are half the vector (amortised O(1)).
    fn trim(&mut self) {
        if self.len == 0 {
            self.slots.clear();
            self.base = None;
            return;
        }
        let lead = self.slots.iter().take_while(|s| s.is_none()).count();
        if lead > 0 && lead * 2 >= self.slots.len() {
            self.slots.drain(..lead);
            self.base = self.slots[0].as_deref().map(|e| e.0);
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// `(key, value)` pairs in ascending key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.slots.iter().flatten().map(|e| (&e.0, &e.1))
    }

    /// `(key, value)` pairs in ascending key order, values mutable.
    pub fn iter_mut(&mut self) -> impl DoubleEndedIterator<Item = (&K, &mut V)> + '_ {
        self.slots.iter_mut().flatten().map(|e| {
            let (k, v) = &mut **e;
            (&*k, v)
        })
    }

    /// Keys in ascending order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Values in ascending key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Values in ascending key order, mutable.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + '_ {
        self.iter_mut().map(|(_, v)| v)
    }

    /// Keeps the entries for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        for s in &mut self.slots {
            if let Some(e) = s {
                let (k, v) = &mut **e;
                if !f(k, v) {
                    *s = None;
                    self.len -= 1;
                }
            }
        }
        self.trim();
    }
}

impl<'a, K: SeqKey, V> IntoIterator for &'a SlotMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Box<dyn Iterator<Item = (&'a K, &'a V)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// A small ordered map over a sorted `Vec`, for keys that do not come from a counter
/// (OVERLAPPED addresses): a binary search to find, a shift to insert or remove. It holds
/// what is in flight, usually a handful of entries, so the shift is short; it allocates
/// nothing once it has grown.
#[derive(Clone, Debug)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord + Copy, V> VecMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn find(&self, key: &K) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp(key))
    }

    /// Inserts `value` under `key`; returns the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => Some(core::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value under `key`.
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// Removes and returns the value under `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let i = self.find(key).ok()?;
        Some(self.entries.remove(i).1)
    }

    /// Removes and returns the value under `key` if `pred` holds of it (one search
    /// instead of a `get` and a `remove`).
    pub fn remove_if(&mut self, key: &K, pred: impl FnOnce(&V) -> bool) -> Option<V> {
        let i = self.find(key).ok()?;
        if !pred(&self.entries[i].1) {
            return None;
        }
        Some(self.entries.remove(i).1)
    }
}

impl<'a, K: SeqKey, V> IntoIterator for &'a SeqMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = core::iter::Map<
        std::collections::vec_deque::Iter<'a, (K, V)>,
        fn(&'a (K, V)) -> (&'a K, &'a V),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The same operations on a `SeqMap` and a `BTreeMap` give the same answers and the
    /// same iteration order, for keys in counter order and out of it.
    #[test]
    fn behaves_as_a_btreemap() {
        let mut m: SeqMap<u64, u64> = SeqMap::new();
        let mut b: BTreeMap<u64, u64> = BTreeMap::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..5000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = if x % 3 == 0 { x % 64 } else { step / 2 + 64 };
            match x % 5 {
                0 | 1 => assert_eq!(m.insert(key, step), b.insert(key, step)),
                2 => assert_eq!(m.remove(&key), b.remove(&key)),
                3 => {
                    let first = b.keys().next().copied();
                    if let Some(k) = first {
                        assert_eq!(m.remove(&k), b.remove(&k));
                    }
                }
                _ => {
                    assert_eq!(m.get(&key), b.get(&key));
                    assert_eq!(m.contains_key(&key), b.contains_key(&key));
                    if let (Some(a), Some(c)) = (m.get_mut(&key), b.get_mut(&key)) {
                        *a += 1;
                        *c += 1;
                    }
                }
            }
            assert_eq!(m.len(), b.len());
        }
        assert!(m
            .iter()
            .map(|(k, v)| (*k, *v))
            .eq(b.iter().map(|(k, v)| (*k, *v))));
        m.retain(|k, _| k % 2 == 0);
        b.retain(|k, _| k % 2 == 0);
        assert!(m.keys().eq(b.keys()));
        assert_eq!(format!("{m:?}"), format!("{b:?}"));
    }

    /// Counter keys with removals anywhere: the same answers and order as a `BTreeMap`.
    #[test]
    fn slotmap_behaves_as_a_btreemap() {
        let mut m: SlotMap<u64, u64> = SlotMap::new();
        let mut b: BTreeMap<u64, u64> = BTreeMap::new();
        let mut next = 1u64;
        let mut x: u64 = 99;
        for step in 0..5000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (x >> 33) % (next + 2);
            match (x >> 20) % 4 {
                0 => {
                    assert_eq!(m.insert(next, step), b.insert(next, step));
                    next += 1;
                }
                1 => assert_eq!(m.remove(&pick), b.remove(&pick)),
                2 => {
                    assert_eq!(m.get(&pick), b.get(&pick));
                    assert_eq!(m.contains_key(&pick), b.contains_key(&pick));
                    if let (Some(a), Some(c)) = (m.get_mut(&pick), b.get_mut(&pick)) {
                        *a += 1;
                        *c += 1;
                    }
                }
                _ => {
                    // Replace a key, or put back one that was removed (possibly the
                    // oldest, below the map's first slot).
                    if pick > 0 && pick < next {
                        assert_eq!(m.insert(pick, step), b.insert(pick, step));
                    }
                }
            }
            assert_eq!(m.len(), b.len());
            assert!(m.iter().eq(b.iter()));
        }
        m.retain(|k, _| k % 3 != 0);
        b.retain(|k, _| k % 3 != 0);
        assert!(m.keys().eq(b.keys()));
        assert!((&m).into_iter().eq(b.iter()));
        assert_eq!(format!("{m:?}"), format!("{b:?}"));
    }

    #[test]
    fn vecmap_behaves_as_a_btreemap() {
        let mut m: VecMap<u64, u64> = VecMap::new();
        let mut b: BTreeMap<u64, u64> = BTreeMap::new();
        let mut x: u64 = 7;
        for step in 0..3000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = (x >> 33) % 40;
            match (x >> 20) % 4 {
                0 => assert_eq!(m.insert(key, step), b.insert(key, step)),
                1 => assert_eq!(m.remove(&key), b.remove(&key)),
                2 => {
                    // `remove_if`: removes only when the value passes.
                    let odd = |v: &u64| v % 2 == 1;
                    let want = if b.get(&key).is_some_and(odd) {
                        b.remove(&key)
                    } else {
                        None
                    };
                    assert_eq!(m.remove_if(&key, odd), want);
                }
                _ => assert_eq!(m.get(&key), b.get(&key)),
            }
        }
        assert!(m.entries.iter().map(|(k, v)| (k, v)).eq(b.iter()));
    }
}
