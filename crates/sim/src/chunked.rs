//! A vector that a clone shares: fixed-size chunks behind reference counts, copied on the
//! first write after a clone. The world keeps one number per payment (applications,
//! deliveries, attempts); a checkpoint of a 200 000-payment run then costs a few hundred
//! pointers, not megabytes, and a step that touches one payment copies one chunk.

use std::ops::Index;
use std::sync::Arc;

const CHUNK: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunked<T: Copy> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T: Copy> Chunked<T> {
    /// `len` copies of `value`.
    pub fn filled(value: T, len: usize) -> Chunked<T> {
        let chunks = (0..len.div_ceil(CHUNK))
            .map(|k| Arc::new(vec![value; CHUNK.min(len - k * CHUNK)]))
            .collect();
        Chunked { chunks, len }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    /// The element at `i`, to change: its chunk is copied first if a clone shares it.
    pub fn get_mut(&mut self, i: usize) -> &mut T {
        let chunk = Arc::make_mut(&mut self.chunks[i / CHUNK]);
        &mut chunk[i % CHUNK]
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }
}

impl<T: Copy> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_shares_until_written() {
        let mut a = Chunked::filled(0u32, 3000);
        assert_eq!((a.len(), a.chunks.len()), (3000, 3));
        *a.get_mut(2500) = 7;
        let b = a.clone();
        *a.get_mut(10) = 1;
        assert_eq!((a[10], b[10], a[2500], b[2500]), (1, 0, 7, 7));
        // Only the written chunk was copied.
        assert!(Arc::ptr_eq(&a.chunks[2], &b.chunks[2]));
        assert!(!Arc::ptr_eq(&a.chunks[0], &b.chunks[0]));
        assert_eq!(a.iter().copied().sum::<u32>(), 8);
        assert_eq!(a.get(3000), None);
    }
}
