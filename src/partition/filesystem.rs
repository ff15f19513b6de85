//! What a volume's first sector says it is.

use crate::fat::Geometry;

/// The file system a partition's boot sector announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filesystem {
    /// FAT12, FAT16 or FAT32 (which one is decided later, by cluster count).
    Fat,
    /// exFAT (the SD card association's format for cards over 32 GB).
    ExFat,
    /// NTFS.
    Ntfs,
    /// Anything else, or nothing.
    Unknown,
}

impl std::fmt::Display for Filesystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Filesystem::Fat => "fat",
            Filesystem::ExFat => "exfat",
            Filesystem::Ntfs => "ntfs",
            Filesystem::Unknown => "unknown",
        })
    }
}

/// Recognises a volume boot sector.
///
/// FAT is recognised loosely on purpose — a valid BPB, or a jump instruction plus the "FAT"
/// type string that formatters write — so that a volume with a damaged BPB still reaches the FAT
/// reader, whose error says exactly what is wrong, instead of "not a card image".
pub fn sniff_filesystem(sector: &[u8; 512]) -> Filesystem {
    match &sector[3..11] {
        b"EXFAT   " => return Filesystem::ExFat,
        b"NTFS    " => return Filesystem::Ntfs,
        _ => {}
    }
    if Geometry::parse(sector).is_ok() {
        return Filesystem::Fat;
    }
    let jump = matches!(sector[0], 0xEB | 0xE9);
    let type_string = sector[54..57] == *b"FAT" || sector[82..85] == *b"FAT";
    if jump && type_string {
        Filesystem::Fat
    } else {
        Filesystem::Unknown
    }
}

/// The logical sector size a boot sector declares, when it is a sane one (FAT: the BPB's bytes
/// per sector; exFAT: its BytesPerSectorShift, the BPB bytes being zero there).
pub(crate) fn boot_sector_bytes(sector: &[u8; 512]) -> Option<u32> {
    let bytes = if sector[3..11] == *b"EXFAT   " {
        1u32.checked_shl(sector[108] as u32).unwrap_or(0)
    } else {
        u16::from_le_bytes([sector[11], sector[12]]) as u32
    };
    ((512..=4096).contains(&bytes) && bytes.is_power_of_two()).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeros_and_an_empty_mbr_are_not_volumes() {
        let mut s = [0u8; 512];
        assert_eq!(sniff_filesystem(&s), Filesystem::Unknown);
        s[510] = 0x55;
        s[511] = 0xAA;
        assert_eq!(sniff_filesystem(&s), Filesystem::Unknown);
    }

    #[test]
    fn exfat_and_ntfs_are_named() {
        let mut s = [0u8; 512];
        s[3..11].copy_from_slice(b"EXFAT   ");
        assert_eq!(sniff_filesystem(&s), Filesystem::ExFat);
        s[3..11].copy_from_slice(b"NTFS    ");
        assert_eq!(sniff_filesystem(&s), Filesystem::Ntfs);
    }

    #[test]
    fn an_exfat_sector_size_comes_from_its_shift() {
        let mut s = [0u8; 512];
        s[3..11].copy_from_slice(b"EXFAT   ");
        s[108] = 12;
        assert_eq!(boot_sector_bytes(&s), Some(4096));
        s[108] = 200;
        assert_eq!(boot_sector_bytes(&s), None);
    }

    #[test]
    fn a_damaged_fat_boot_sector_is_still_fat() {
        let mut s = [0u8; 512];
        s[0] = 0xEB;
        s[82..90].copy_from_slice(b"FAT32   ");
        assert_eq!(sniff_filesystem(&s), Filesystem::Fat);
    }
}
