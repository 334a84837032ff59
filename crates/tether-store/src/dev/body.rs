//! A delivery's body as stored: compressed with zstd when that makes it smaller.
//!
//! Deliveries are kept (the delivery log, replays), and forge payloads are JSON that
//! compresses about 3.5× (GitHub's documented push, 4,843 bytes, is a 1.4 KB frame). Stored
//! as received, a push's body also spilled out of its row into an overflow page of its own,
//! written twice by SQLite (the log, then the checkpoint): compressed, the row fits in its
//! table page with others, and the intake's commits wrote a quarter fewer bytes (see the
//! README's intake figures). It is done on the request's task, before the delivery joins a
//! commit, so the one writer does no more.
//!
//! Rows stored before keep `identity`; the body read back is always the bytes received.

use std::cell::RefCell;

use crate::{Result, StoreError};

/// Bodies shorter than this are stored as received (a frame would save little).
const SMALLEST: usize = 256;

/// zstd's fastest level: the intake pays it per delivery.
const LEVEL: i32 = 1;

/// A stored body is never read back larger than this (the server takes at most a few MiB per
/// request; this only bounds what a damaged row can make us allocate).
const LARGEST: usize = 64 << 20;

/// How a body is stored, by its `body_encoding` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Identity,
    Zstd,
}

impl Encoding {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Zstd => "zstd",
        }
    }

    fn parse(s: &str) -> Result<Encoding> {
        match s {
            "identity" => Ok(Encoding::Identity),
            "zstd" => Ok(Encoding::Zstd),
            other => Err(StoreError::Damaged(format!("dev event body encoding {other:?}"))),
        }
    }
}

thread_local! {
    /// One compression context per thread, reused: making one per body cost more than
    /// compressing it.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// The body as it is to be stored: a zstd frame when that is smaller, else the body as is.
pub(crate) fn encode(body: &[u8]) -> (Vec<u8>, Encoding) {
    if body.len() < SMALLEST {
        return (body.to_vec(), Encoding::Identity);
    }
    let frame = COMPRESSOR.with_borrow_mut(|slot| {
        if slot.is_none() {
            *slot = zstd::bulk::Compressor::new(LEVEL).ok();
        }
        slot.as_mut()?.compress(body).ok()
    });
    match frame {
        Some(frame) if frame.len() < body.len() => (frame, Encoding::Zstd),
        _ => (body.to_vec(), Encoding::Identity),
    }
}

/// The body received, from its stored bytes and `body_encoding`.
pub(crate) fn decode(stored: Vec<u8>, encoding: &str) -> Result<Vec<u8>> {
    match Encoding::parse(encoding)? {
        Encoding::Identity => Ok(stored),
        Encoding::Zstd => zstd::bulk::decompress(&stored, LARGEST)
            .map_err(|e| StoreError::Damaged(format!("dev event body: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::{Encoding, decode, encode};

    const GITHUB_PUSH: &[u8] =
        include_bytes!("../../../tether-forge/tests/it/fixtures/github/push_commits.json");

    #[test]
    fn a_push_is_stored_compressed_and_read_back_as_received() {
        let (stored, encoding) = encode(GITHUB_PUSH);
        assert_eq!(encoding, Encoding::Zstd);
        assert!(stored.len() * 3 < GITHUB_PUSH.len(), "{} bytes stored", stored.len());
        assert_eq!(decode(stored, encoding.as_str()).unwrap(), GITHUB_PUSH);
    }

    #[test]
    fn small_or_incompressible_bodies_are_stored_as_received() {
        let (stored, encoding) = encode(b"{\"zen\":\"Keep it logically awesome.\"}");
        assert_eq!(
            (stored.as_slice(), encoding),
            (&b"{\"zen\":\"Keep it logically awesome.\"}"[..], Encoding::Identity)
        );
        // Bytes with no repetition: xorshift64's output.
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[3]
            })
            .collect();
        let (stored, encoding) = encode(&noise);
        assert_eq!(encoding, Encoding::Identity);
        assert_eq!(decode(stored, encoding.as_str()).unwrap(), noise);
    }

    #[test]
    fn damaged_rows_are_errors() {
        assert!(decode(b"not a frame".to_vec(), "zstd").is_err());
        assert!(decode(b"{}".to_vec(), "gzip").is_err());
        assert_eq!(decode(b"{}".to_vec(), "identity").unwrap(), b"{}");
    }
}
