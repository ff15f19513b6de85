//! Any bytes as a FAT volume: the boot sector check, the FAT read, the chain walks and the
//! directory walk (raw layer and fatfs) must never panic or hang.
#![no_main]

use std::io::Cursor;

use dashcard::block_reader::BlockReader;
use dashcard::fat::{self, WalkLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = BlockReader::with_cache(Cursor::new(data.to_vec()), 4096, 1 << 20) else {
        return;
    };
    let len = reader.len();
    let limits = WalkLimits {
        max_depth: 8,
        max_entries: 10_000,
    };
    let _ = fat::read_volume(&mut reader, 0, len, &limits);
});
