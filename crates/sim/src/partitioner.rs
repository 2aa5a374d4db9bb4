//! Where a keyed record lands: the producing client's partitioner.
//!
//! The two clients disagree by default. librdkafka (and so confluent-kafka-python) uses
//! `consistent_random`: CRC-32 of the key bytes modulo the partition count
//! (`rd_kafka_msg_partitioner_consistent_random` in `rdkafka_msg.c`). The Java producer uses
//! murmur2 of the key, made positive, modulo the partition count (`Utils.murmur2` /
//! `Utils.toPositive`, `BuiltInPartitioner.partitionForKey`); librdkafka's `murmur2_random`
//! gives the same result for non-empty keys. A scenario's keyed payments go where its
//! producer would put them, and the exported script sets that partitioner explicitly.

use crate::scenario::Partitioner;

/// The partition `partitioner` picks for a record with this (non-empty) key.
pub fn partition_for_key(partitioner: Partitioner, key: &[u8], partitions: u32) -> u32 {
    if partitions == 0 {
        return 0;
    }
    match partitioner {
        Partitioner::ConsistentRandom => crc32(key) % partitions,
        Partitioner::Murmur2Random => to_positive(murmur2(key)) % partitions,
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib and librdkafka's `rd_crc32`).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc: u32 = 0xffff_ffff;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// Kafka's murmur2 (seed 0x9747b28c), exactly as `org.apache.kafka.common.utils.Utils.murmur2`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let length4 = length / 4;
    for i in 0..length4 {
        let i4 = i * 4;
        let mut k = u32::from_le_bytes([data[i4], data[i4 + 1], data[i4 + 2], data[i4 + 3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = length4 * 4;
    let rest = length % 4;
    if rest == 3 {
        h ^= (data[tail + 2] as u32) << 16;
    }
    if rest >= 2 {
        h ^= (data[tail + 1] as u32) << 8;
    }
    if rest >= 1 {
        h ^= data[tail] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on `i32::MIN`).
pub fn to_positive(n: i32) -> u32 {
    (n & 0x7fff_ffff) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from Kafka's `UtilsTest.testMurmur2` (clients/src/test/java/.../UtilsTest.java).
    #[test]
    fn murmur2_matches_kafka_vectors() {
        let cases: [(&str, i32); 6] = [
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            ("abc", 479470107),
        ];
        for (s, want) in cases {
            assert_eq!(murmur2(s.as_bytes()), want, "murmur2({s:?})");
        }
    }

    #[test]
    fn partition_is_positive_modulo() {
        // murmur2("21") is negative: toPositive, not abs, decides the partition.
        let h = murmur2(b"21");
        assert!(h < 0);
        let m = Partitioner::Murmur2Random;
        assert_eq!(
            partition_for_key(m, b"21", 12),
            ((h & 0x7fff_ffff) as u32) % 12
        );
        assert_eq!(partition_for_key(m, b"anything", 1), 0);
        assert_eq!(partition_for_key(m, b"anything", 0), 0);
    }

    /// The CRC-32 check value, and zlib's `crc32()` of a key (Python: `zlib.crc32(b"customer-1")`).
    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"customer-1"), 0xebef_dc7d);
        let c = Partitioner::ConsistentRandom;
        assert_eq!(partition_for_key(c, b"customer-1", 4), 0xebef_dc7d % 4);
    }
}
