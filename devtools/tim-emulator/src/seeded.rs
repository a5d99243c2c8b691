//! Deterministic pseudo-random numbers from a seed text: the same inputs give
//! the same "plausible" data on every run and every platform (std's hasher
//! makes no such promise).

/// A splitmix64 stream seeded by FNV-1a over the given parts.
pub(crate) struct Seeded(u64);

impl Seeded {
    pub(crate) fn new(parts: &[&str]) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            for byte in part.bytes().chain(std::iter::once(0xff)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        Self(hash)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high` (`low` when the range is empty).
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.next_u64() % (high - low + 1)
    }

    /// `value * percent / 100` with `percent` drawn from `low..=high`.
    pub(crate) fn share(&mut self, value: u64, low: u64, high: u64) -> u64 {
        value.saturating_mul(self.range(low, high)) / 100
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_parts_same_stream_different_parts_different_stream() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut s = Seeded::new(&["x", "1"]);
                move |_| s.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut s = Seeded::new(&["x", "1"]);
                move |_| s.next_u64()
            })
            .collect();
        let c = Seeded::new(&["x1"]).next_u64();
        assert_eq!(a, b);
        assert_ne!(a[0], c, "part boundaries matter");
    }

    #[test]
    fn range_stays_inside_its_bounds() {
        let mut s = Seeded::new(&["r"]);
        for _ in 0..1000 {
            let n = s.range(3, 7);
            assert!((3..=7).contains(&n));
        }
        assert_eq!(s.range(5, 5), 5);
        assert_eq!(s.range(9, 2), 9);
    }
}
