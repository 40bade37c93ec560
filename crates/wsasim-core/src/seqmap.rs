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

impl<K: Ord + Copy + core::fmt::Debug, V: core::fmt::Debug> core::fmt::Debug for SeqMap<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Ord + Copy, V> SeqMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn find(&self, key: &K) -> Result<usize, usize> {
        // The newest key is the most likely one.
        match self.entries.back() {
            Some((k, _)) if k == key => return Ok(self.entries.len() - 1),
            Some((k, _)) if k < key => return Err(self.entries.len()),
            None => return Err(0),
            _ => {}
        }
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

impl<'a, K: Ord + Copy, V> IntoIterator for &'a SeqMap<K, V> {
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
}
