//! CRC-32 (IEEE, the polynomial ZIP, GPT and the cameras' own records use), one interface for
//! both builds: natively `crc32fast`, hardware-accelerated where the CPU allows; in WebAssembly
//! the `crc` crate's byte-at-a-time form, whose one 1 KiB table replaces `crc32fast`'s portable
//! 16 KiB of tables (random-looking bytes gzip cannot shrink, 16 KiB of the page's 600 KiB
//! download budget). A byte at a time is still faster than the SHA-256 it runs beside.

#[cfg(not(target_arch = "wasm32"))]
pub use crc32fast::{Hasher, hash};

#[cfg(target_arch = "wasm32")]
pub use small::{Hasher, hash};

#[cfg(target_arch = "wasm32")]
mod small {
    use crc::{CRC_32_ISO_HDLC, Crc, Digest, Table};

    /// The algorithm and its table, made at compile time.
    static CRC32: Crc<u32, Table<1>> = Crc::<u32, Table<1>>::new(&CRC_32_ISO_HDLC);

    /// The CRC-32 of `bytes`.
    pub fn hash(bytes: &[u8]) -> u32 {
        CRC32.checksum(bytes)
    }

    /// A CRC-32 over bytes that come in pieces.
    #[derive(Clone)]
    pub struct Hasher(Digest<'static, u32, Table<1>>);

    impl Hasher {
        /// Nothing digested yet.
        pub fn new() -> Self {
            Self(CRC32.digest())
        }

        /// Adds `bytes`.
        pub fn update(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }

        /// The CRC-32 of everything added.
        pub fn finalize(self) -> u32 {
            self.0.finalize()
        }
    }

    impl Default for Hasher {
        fn default() -> Self {
            Self::new()
        }
    }
}
