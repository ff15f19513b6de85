//! Fuzzes MP4/MOV header reading: any bytes must give a result or an error, never a panic, a
//! hang or a huge allocation.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    let _ = dashcard::mp4::read_header(&mut Cursor::new(data), len);
    // A file whose stated size is larger than its bytes (a FAT entry that claims more than its
    // clusters hold): reads past the real end must turn into errors too.
    let _ = dashcard::mp4::read_header(&mut Cursor::new(data), len.saturating_mul(3) + 100);
});
