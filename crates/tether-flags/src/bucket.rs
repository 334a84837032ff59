//! Bucketing: how a rollout assigns a context to a variation, deterministically.
//!
//! This is LaunchDarkly's scheme and it must never change: changing it would move users
//! between variations of every running rollout. Tests pin its outputs on fixed vectors that
//! were computed independently with Python's `hashlib`.
//!
//! 1. Take the bucketing attribute's value as a string `v` (see below).
//! 2. Hash the UTF-8 bytes of `flagKey + "." + salt + "." + v` with SHA-1.
//! 3. Take the first 15 hex digits of the digest (the first 60 bits) as an integer `h`.
//! 4. The bucket is `floor(h * 100000 / 0xFFFFFFFFFFFFFFF)`, computed exactly in integers,
//!    so it is in `[0, 100000]`; the single value `h = 0xFFFFFFFFFFFFFFF` would give 100000
//!    and is put in bucket 99999 instead, so buckets are always in `[0, 100000)`.
//!    (LaunchDarkly computes `h / 0xFFFFFFFFFFFFFFF` as a float in `[0, 1]`; integers make the
//!    result the same on every platform and exact at the edges between slices.)
//! 5. With the rollout's weights in order `w0, w1, …` (summing to 100000), the context gets
//!    the first variation `i` with `bucket < w0 + … + wi`. A zero weight is an empty slice.
//!
//! Which values can be bucketed:
//! - a string, as it is;
//! - an integer (a JSON number that is an `i64` or `u64`, or a float with no fractional part
//!   and magnitude at most 2^53), by its decimal form with no leading zeros, `-` for
//!   negatives and no `+` or exponent (`42`, `-7`; `42.0` is read as `42`);
//! - nothing else. A boolean, object, array or non-integral number cannot be bucketed; the
//!   rollout then serves from bucket 0 (its first variation with a non-zero weight), as
//!   LaunchDarkly does. A missing (or `null`) bucketing attribute is instead an evaluation
//!   error, `TARGETING_KEY_MISSING`, so that a client that forgot to send its key is told.

use serde_json::Value;
use sha1::{Digest, Sha1};

/// The number of buckets; weights are in the same unit.
pub const BUCKETS: u32 = crate::TOTAL_WEIGHT;

/// `0xFFFFFFFFFFFFFFF`, the largest 15-hex-digit integer.
const MAX_HASH: u64 = 0x0FFF_FFFF_FFFF_FFFF;

/// The bucket, in `[0, 100000)`, of the string `value` for a flag and salt.
pub fn bucket(flag_key: &str, salt: &str, value: &str) -> u32 {
    let parts = [flag_key.as_bytes(), b".", salt.as_bytes(), b".", value.as_bytes()];
    // The first 15 hex digits are the first 60 bits: the first 8 bytes, less the low nibble.
    let h = sha1_head(&parts) >> 4;
    let b = scale(h);
    // b <= 100000 because h <= MAX_HASH; only h == MAX_HASH reaches 100000.
    u32::try_from(b).unwrap_or(BUCKETS).min(BUCKETS - 1)
}

/// Messages of up to this many blocks are hashed on the stack by [`sha1_head`].
const STACK_BLOCKS: usize = 4;

/// The first 8 bytes of the SHA-1 digest of the parts one after another, as a big-endian
/// integer. A message that fits `STACK_BLOCKS` blocks with its padding (`0x80`, zeros, its
/// length in bits as 8 big-endian bytes) is padded in a stack buffer and given to the
/// compression function directly; the first 8 digest bytes are the first two state words.
/// The hasher's own buffering, padding and digest output cost a third of a rollout's bucket.
pub(crate) fn sha1_head(parts: &[&[u8]]) -> u64 {
    const INIT: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let blocks = (len + 9).div_ceil(64);
    if blocks > STACK_BLOCKS {
        let mut hasher = Sha1::new();
        for part in parts {
            hasher.update(part);
        }
        let d = hasher.finalize();
        return u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    }
    let mut buf = [0u8; 64 * STACK_BLOCKS];
    let mut at = 0;
    for part in parts {
        buf[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    buf[at] = 0x80;
    let end = blocks * 64;
    buf[end - 8..end].copy_from_slice(&(len as u64 * 8).to_be_bytes());
    let mut state = INIT;
    for block in buf[..end].chunks_exact(64) {
        sha1::compress(
            &mut state,
            std::slice::from_ref(sha1::digest::generic_array::GenericArray::from_slice(block)),
        );
    }
    (u64::from(state[0]) << 32) | u64::from(state[1])
}

/// `floor(h * BUCKETS / MAX_HASH)` for `h <= MAX_HASH`, exactly, without a 128-bit division
/// (a library call that cost as much as the rest of the arithmetic). With `MAX_HASH = 2^60 - 1`
/// and `x = h * BUCKETS = q * 2^60 + r`, `x = q * MAX_HASH + (q + r)` with `q + r < 2 * MAX_HASH`,
/// so the quotient is `q`, or `q + 1` when `q + r >= MAX_HASH`.
pub(crate) fn scale(h: u64) -> u64 {
    let x = u128::from(h) * u128::from(BUCKETS);
    let q = (x >> 60) as u64;
    let r = (x as u64) & MAX_HASH;
    q + u64::from(q + r >= MAX_HASH)
}

/// The bucket of a JSON value, or `None` when it cannot be bucketed (see the module docs).
pub fn bucket_value(flag_key: &str, salt: &str, value: &Value) -> Option<u32> {
    match value {
        Value::String(s) => Some(bucket(flag_key, salt, s)),
        Value::Number(n) => {
            let mut buf = [0u8; 20];
            let s = integer_text(n, &mut buf)?;
            Some(bucket(flag_key, salt, s))
        }
        _ => None,
    }
}

/// The index of the slice `bucket` falls in, given the cumulative ends of the slices.
pub(crate) fn slice_of(bucket: u32, cumulative_ends: &[u32]) -> Option<usize> {
    cumulative_ends.iter().position(|&end| bucket < end)
}

/// Writes the decimal form of an integral number into `buf` (20 bytes fit any i64 or u64).
fn integer_text<'b>(n: &serde_json::Number, buf: &'b mut [u8; 20]) -> Option<&'b str> {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    let (negative, magnitude) = if let Some(u) = n.as_u64() {
        (false, u)
    } else if let Some(i) = n.as_i64() {
        (i < 0, i.unsigned_abs())
    } else {
        let f = n.as_f64()?;
        if f.fract() != 0.0 || f.abs() > MAX_EXACT {
            return None;
        }
        // Exact: |f| <= 2^53 and integral. `-0.0` becomes 0.
        (f < 0.0, f.abs() as u64)
    };
    let mut i = buf.len();
    let mut m = magnitude;
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    std::str::from_utf8(&buf[i..]).ok()
}

#[cfg(test)]
mod tests;
