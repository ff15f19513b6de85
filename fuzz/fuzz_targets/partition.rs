//! Any bytes as a whole card image: MBR (with extended chains), GPT (with backup fallback) or a
//! bare volume, then the scan of whatever FAT or exFAT volume the table points at. Must never
//! panic or hang, whatever the table claims.
#![no_main]

use std::io::Cursor;

use dashcard::block_reader::BlockReader;
use dashcard::fat::WalkLimits;
use dashcard::partition::read_partition_table;
use dashcard::scan::{ScanOptions, scan_image};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = BlockReader::with_cache(Cursor::new(data.to_vec()), 4096, 1 << 20) else {
        return;
    };
    let _ = read_partition_table(&mut reader);
    let options = ScanOptions {
        limits: WalkLimits {
            max_depth: 8,
            max_entries: 10_000,
        },
        source_name: None,
    };
    let _ = scan_image(&mut reader, &options);
});
