//! The FAT's two reserved entries, which say something about the volume rather than a cluster.
//!
//! Entry 0 repeats the boot sector's media byte: when it does not, the FAT (or the boot sector)
//! is damaged. On FAT16 and FAT32, entry 1 carries two flags a driver clears while it works and
//! sets again when it is done: "clean shutdown" (clear when the volume was in use when power
//! was lost or the card was pulled — for a dash cam, the newest recording may be cut short) and
//! "no disk error". `fsck.fat` checks the same; these only ever give warnings.

use super::boot_sector::FatType;

/// FAT16 entry 1: set when the volume was unmounted cleanly.
const FAT16_CLEAN: u32 = 1 << 15;
/// FAT16 entry 1: set when no disk error was met.
const FAT16_NO_ERROR: u32 = 1 << 14;
/// FAT32 entry 1: set when the volume was unmounted cleanly.
const FAT32_CLEAN: u32 = 1 << 27;
/// FAT32 entry 1: set when no disk error was met.
const FAT32_NO_ERROR: u32 = 1 << 26;

/// What FAT entries 0 and 1 (`head`, as stored) say is wrong with the volume, in words.
pub fn warnings(fat_type: FatType, media: u8, head: [u32; 2]) -> Vec<String> {
    let mut out = Vec::new();
    if head[0] & 0xFF != media as u32 {
        out.push(format!(
            "the FAT's first entry ({:#x}) does not repeat the boot sector's media byte ({media:#04x}): the FAT may be damaged",
            head[0]
        ));
    }
    let (clean, no_error) = match fat_type {
        FatType::Fat12 => return out,
        FatType::Fat16 => (FAT16_CLEAN, FAT16_NO_ERROR),
        FatType::Fat32 => (FAT32_CLEAN, FAT32_NO_ERROR),
    };
    if head[1] & clean == 0 {
        out.push(
            "the volume was not unmounted cleanly (the FAT's clean-shutdown flag is clear): the camera may have lost power or the card was removed while it was writing, so the newest recording may be incomplete"
                .to_string(),
        );
    }
    if head[1] & no_error == 0 {
        out.push(
            "the last system to write this volume met a disk error (the FAT's error flag is set): some data may be damaged"
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_media_byte_are_read_as_fsck_fat_reads_them() {
        assert!(warnings(FatType::Fat32, 0xF8, [0x0FFF_FFF8, 0x0FFF_FFFF]).is_empty());
        assert!(warnings(FatType::Fat16, 0xF8, [0xFFF8, 0xFFFF]).is_empty());
        assert!(warnings(FatType::Fat12, 0xF0, [0xFF0, 0x000]).is_empty());
        let dirty = warnings(FatType::Fat32, 0xF8, [0x0FFF_FFF8, 0x07FF_FFFF]);
        assert!(dirty.len() == 1 && dirty[0].contains("not unmounted cleanly"));
        let dirty16 = warnings(FatType::Fat16, 0xF8, [0xFFF8, 0x7FFF]);
        assert!(dirty16.len() == 1 && dirty16[0].contains("not unmounted cleanly"));
        let error = warnings(FatType::Fat16, 0xF8, [0xFFF8, 0xBFFF]);
        assert!(error.len() == 1 && error[0].contains("disk error"));
        let media = warnings(FatType::Fat16, 0xF8, [0x0000, 0xFFFF]);
        assert!(media.len() == 1 && media[0].contains("media byte"));
    }
}
