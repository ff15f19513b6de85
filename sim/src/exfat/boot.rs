//! The boot region a formatted volume starts with (written twice: main and backup), and the MBR
//! that can hold it.

use super::layout::Layout;

/// The twelve sectors of a boot region.
pub fn boot_region(layout: &Layout, volume_offset: u64, root_cluster: u32, serial: u32) -> Vec<u8> {
    let sb = layout.sector_bytes as usize;
    let sectors = |bytes: u64| (bytes / sb as u64) as u32;
    let mut region = vec![0u8; 12 * sb];
    {
        let s = &mut region[..512];
        s[0..3].copy_from_slice(&[0xEB, 0x76, 0x90]);
        s[3..11].copy_from_slice(b"EXFAT   ");
        s[64..72].copy_from_slice(&(volume_offset / sb as u64).to_le_bytes());
        s[72..80].copy_from_slice(&(layout.volume_bytes / sb as u64).to_le_bytes());
        s[80..84].copy_from_slice(&sectors(layout.fat_offset).to_le_bytes());
        s[84..88].copy_from_slice(&sectors(layout.fat_bytes).to_le_bytes());
        s[88..92].copy_from_slice(&sectors(layout.heap_offset).to_le_bytes());
        s[92..96].copy_from_slice(&layout.cluster_count.to_le_bytes());
        s[96..100].copy_from_slice(&root_cluster.to_le_bytes());
        s[100..104].copy_from_slice(&serial.to_le_bytes());
        s[104..106].copy_from_slice(&0x0100u16.to_le_bytes());
        s[108] = layout.sector_bytes.trailing_zeros() as u8;
        s[109] = (layout.cluster_bytes / layout.sector_bytes).trailing_zeros() as u8;
        s[110] = 1;
        s[111] = 0x80;
        s[120..510].fill(0xF4);
        s[510] = 0x55;
        s[511] = 0xAA;
    }
    for k in 1..=8 {
        let end = (k + 1) * sb;
        region[end - 2..end].copy_from_slice(&[0x55, 0xAA]);
    }
    let sum = checksum_of(&region[..11 * sb]);
    for word in region[11 * sb..].chunks_exact_mut(4) {
        word.copy_from_slice(&sum.to_le_bytes());
    }
    region
}

/// The boot checksum: the 32-bit rotation sum without VolumeFlags and PercentInUse.
fn checksum_of(eleven: &[u8]) -> u32 {
    eleven
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i, 106 | 107 | 112))
        .fold(0u32, |sum, (_, &b)| {
            sum.rotate_right(1).wrapping_add(b as u32)
        })
}

/// A DOS partition table with one exFAT partition (type 07h) of `bytes` at `offset`.
pub fn mbr(offset: u64, bytes: u64) -> [u8; 512] {
    let mut s = [0u8; 512];
    let e = &mut s[446..462];
    e[0] = 0x00;
    e[1..4].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    e[4] = 0x07;
    e[5..8].copy_from_slice(&[0xFE, 0xFF, 0xFF]);
    e[8..12].copy_from_slice(&((offset / 512) as u32).to_le_bytes());
    e[12..16].copy_from_slice(&((bytes / 512).min(u32::MAX as u64) as u32).to_le_bytes());
    s[510] = 0x55;
    s[511] = 0xAA;
    s
}
