//! A FIFO of bytes with one copy in and one copy out: a vector with a read offset,
//! compacted when the dead prefix grows past half.

use crate::memory::{Fault, Ptr, UserMemory};

/// A FIFO byte buffer.
#[derive(Debug, Default, Clone)]
pub struct ByteBuf {
    data: Vec<u8>,
    head: usize,
}

impl ByteBuf {
    /// Bytes held.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.len() - self.head
    }

    /// Whether empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `bytes`.
    pub fn push(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
    }

    /// Appends `len` bytes read from the application's memory at `addr` (one copy).
    pub fn push_from(&mut self, mem: &dyn UserMemory, addr: Ptr, len: usize) -> Result<(), Fault> {
        let old = self.data.len();
        self.data.resize(old + len, 0);
        let r = mem.read(addr, &mut self.data[old..]);
        if r.is_err() {
            self.data.truncate(old);
        }
        r
    }

    /// Appends `len` bytes that `fill` writes in place (one copy, no temporary); if
    /// `fill` fails, the buffer is left as it was.
    pub fn push_with<E>(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let old = self.data.len();
        self.data.resize(old + len, 0);
        let r = fill(&mut self.data[old..]);
        if r.is_err() {
            self.data.truncate(old);
        }
        r
    }

    /// Moves the oldest `n` bytes to the end of `out` (which is not cleared first).
    pub fn take_into(&mut self, n: usize, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.as_slice()[..n]);
        self.consume(n);
    }

    /// The bytes held, oldest first.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.data[self.head..]
    }

    /// Drops the oldest `n` bytes.
    pub fn consume(&mut self, n: usize) {
        assert!(n <= self.len(), "consume past the end");
        self.head += n;
        if self.head == self.data.len() {
            self.data.clear();
            self.head = 0;
        } else if self.head > self.data.len() / 2 && self.head > 4096 {
            self.data.drain(..self.head);
            self.head = 0;
        }
    }

    /// Removes and returns the oldest `n` bytes.
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let v = self.as_slice()[..n].to_vec();
        self.consume(n);
        v
    }

    /// Drops everything.
    pub fn clear(&mut self) {
        self.data.clear();
        self.head = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::SimMemory;

    #[test]
    fn fifo_order_survives_compaction() {
        let mut b = ByteBuf::default();
        let all: Vec<u8> = (0..20_000u32).map(|i| i as u8).collect();
        b.push(&all[..10_000]);
        b.consume(6_000);
        b.push(&all[10_000..]);
        assert_eq!(b.as_slice(), &all[6_000..]);
        assert_eq!(b.take(3), vec![all[6_000], all[6_001], all[6_002]]);
    }

    #[test]
    fn push_from_faults_without_changing_the_buffer() {
        let mut m = SimMemory::new();
        let p = m.alloc_bytes(b"abc");
        let mut b = ByteBuf::default();
        b.push_from(&m, p, 3).unwrap();
        assert!(b.push_from(&m, p, 4).is_err());
        assert_eq!(b.as_slice(), b"abc");
    }
}
