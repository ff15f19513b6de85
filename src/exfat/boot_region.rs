//! The boot region: main boot sector, eight extended boot sectors, OEM parameters, a reserved
//! sector and the boot checksum sector — twelve sectors, kept twice (main at sector 0, backup at
//! sector 12).
//!
//! The specification asks implementations to verify the checksum before using any field, so a
//! main region that fails (a torn write, a damaged first sector) is replaced by the backup, with a
//! warning. Every field is validated against the others before anything else reads the volume,
//! so later code can trust offsets and counts to stay inside the volume.

use std::io::{Read, Seek};

use crate::block_reader::BlockReader;

use super::ExfatError;

/// Sectors in one boot region (main or backup).
const REGION_SECTORS: u64 = 12;
/// The boot sector fields live in the first 512 bytes, whatever the sector size.
const FIELDS_BYTES: usize = 512;
/// VolumeFlags bits.
const ACTIVE_FAT: u16 = 0x0001;
const VOLUME_DIRTY: u16 = 0x0002;
const MEDIA_FAILURE: u16 = 0x0004;
/// Largest cluster count a FAT can describe.
const MAX_CLUSTER_COUNT: u64 = (1 << 32) - 11;

/// Which copy of the boot region the volume was read with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum BootCopy {
    /// Sectors 0–11: the normal case.
    Main,
    /// Sectors 12–23: the main region is damaged.
    Backup,
}

/// The volume's layout and state, validated. Offsets are bytes from the start of the volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootRegion {
    /// Bytes per sector (512..=4096).
    pub sector_bytes: u32,
    /// Bytes per cluster (up to 32 MiB).
    pub cluster_bytes: u32,
    /// Size of the volume.
    pub volume_bytes: u64,
    /// Offset of the first FAT.
    pub fat_offset: u64,
    /// Size of each FAT.
    pub fat_bytes: u64,
    /// 1, or 2 on TexFAT volumes.
    pub fat_count: u8,
    /// The FAT and allocation bitmap in use (0 or 1).
    pub active_fat: u8,
    /// Offset of the cluster heap (cluster 2).
    pub heap_offset: u64,
    /// Clusters in the heap.
    pub cluster_count: u32,
    /// First cluster of the root directory.
    pub root_cluster: u32,
    /// Volume serial number.
    pub serial: u32,
    /// File system revision, major and minor.
    pub revision: (u8, u8),
    /// The volume was not unmounted cleanly.
    pub dirty: bool,
    /// The medium reported failures.
    pub media_failure: bool,
    /// Percentage of the heap in use, as the boot sector claims it (often stale).
    pub percent_in_use: Option<u8>,
    /// Which copy was used.
    pub copy: BootCopy,
}

fn u16_at(b: &[u8; FIELDS_BYTES], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8; FIELDS_BYTES], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8; FIELDS_BYTES], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// True when a sector announces exFAT (the file system name at offset 3).
pub fn is_exfat_boot_sector(sector: &[u8]) -> bool {
    sector.get(3..11) == Some(b"EXFAT   ".as_slice())
}

/// The boot checksum of the first eleven sectors of a region, skipping VolumeFlags and
/// PercentInUse (which change while the volume is in use without the checksum being rewritten).
pub fn boot_checksum(eleven_sectors: &[u8]) -> u32 {
    eleven_sectors
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i, 106 | 107 | 112))
        .fold(0u32, |sum, (_, &b)| {
            sum.rotate_right(1).wrapping_add(b as u32)
        })
}

impl BootRegion {
    /// Parses and validates a boot sector's fields. `copy` says which region it came from.
    pub fn parse(sector: &[u8; FIELDS_BYTES], copy: BootCopy) -> Result<Self, String> {
        if !is_exfat_boot_sector(sector) {
            return Err("its file system name is not \"EXFAT\"".into());
        }
        if sector[510..512] != [0x55, 0xAA] {
            return Err("the boot signature 55 AA is missing".into());
        }
        if sector[11..64].iter().any(|&b| b != 0) {
            return Err(
                "the bytes a FAT boot sector would use are not zero, as exFAT requires".into(),
            );
        }
        let sector_shift = sector[108];
        if !(9..=12).contains(&sector_shift) {
            return Err(format!(
                "bytes per sector is 2^{sector_shift} (must be 512 to 4096)"
            ));
        }
        let cluster_shift = sector[109];
        if cluster_shift as u32 + sector_shift as u32 > 25 {
            return Err(format!(
                "clusters of 2^{} bytes are larger than the 32 MiB exFAT allows",
                cluster_shift as u32 + sector_shift as u32
            ));
        }
        let sector_bytes = 1u32 << sector_shift;
        let cluster_sectors = 1u64 << cluster_shift;
        let cluster_bytes = sector_bytes << cluster_shift;
        let fat_count = sector[110];
        if !matches!(fat_count, 1 | 2) {
            return Err(format!("number of FATs is {fat_count} (must be 1 or 2)"));
        }
        let volume_sectors = u64_at(sector, 72);
        let fat_offset = u32_at(sector, 80) as u64;
        let fat_sectors = u32_at(sector, 84) as u64;
        let heap_offset = u32_at(sector, 88) as u64;
        let cluster_count = u32_at(sector, 92) as u64;
        let root_cluster = u32_at(sector, 96);
        let flags = u16_at(sector, 106);
        let revision = u16_at(sector, 104);
        let sb = sector_bytes as u64;

        if volume_sectors < (1 << 20) / sb {
            return Err(format!(
                "the volume is {volume_sectors} sectors long, less than the 1 MiB minimum"
            ));
        }
        // Volume bytes must fit in a u64 for the offsets below to be meaningful.
        let volume_bytes = volume_sectors
            .checked_mul(sb)
            .ok_or_else(|| format!("the volume length {volume_sectors} sectors is impossible"))?;
        if fat_offset < 24 {
            return Err(format!(
                "the FAT starts at sector {fat_offset}, inside the boot regions"
            ));
        }
        if cluster_count == 0 || cluster_count > MAX_CLUSTER_COUNT {
            return Err(format!("the cluster count {cluster_count} is impossible"));
        }
        let fat_needed = ((cluster_count + 2) * 4).div_ceil(sb);
        if fat_sectors < fat_needed {
            return Err(format!(
                "each FAT ({fat_sectors} sectors) is too small for {cluster_count} clusters"
            ));
        }
        let fats_end = fat_offset + fat_sectors * fat_count as u64;
        if heap_offset < fats_end {
            return Err(format!(
                "the cluster heap (sector {heap_offset}) starts inside the FAT region (which ends at sector {fats_end})"
            ));
        }
        let heap_end = heap_offset + cluster_count * cluster_sectors;
        if heap_end > volume_sectors {
            return Err(format!(
                "the cluster heap ({cluster_count} clusters from sector {heap_offset}) runs past the end of the volume ({volume_sectors} sectors)"
            ));
        }
        if root_cluster < 2 || root_cluster as u64 > cluster_count + 1 {
            return Err(format!(
                "the root directory cluster {root_cluster} is outside the cluster heap"
            ));
        }
        let active_fat = if flags & ACTIVE_FAT != 0 && fat_count == 2 {
            1
        } else {
            0
        };
        let percent = sector[112];
        Ok(BootRegion {
            sector_bytes,
            cluster_bytes,
            volume_bytes,
            fat_offset: fat_offset * sb,
            fat_bytes: fat_sectors * sb,
            fat_count,
            active_fat,
            heap_offset: heap_offset * sb,
            cluster_count: cluster_count as u32,
            root_cluster,
            serial: u32_at(sector, 100),
            revision: ((revision >> 8) as u8, revision as u8),
            dirty: flags & VOLUME_DIRTY != 0,
            media_failure: flags & MEDIA_FAILURE != 0,
            percent_in_use: (percent <= 100).then_some(percent),
            copy,
        })
    }

    /// Offset of `cluster` from the start of the volume (the cluster must be in the heap).
    pub fn cluster_offset(&self, cluster: u32) -> u64 {
        self.heap_offset + (cluster as u64 - 2) * self.cluster_bytes as u64
    }

    /// Highest cluster number in the heap.
    pub fn max_cluster(&self) -> u32 {
        self.cluster_count + 1
    }

    /// Bytes of the cluster heap.
    pub fn capacity_bytes(&self) -> u64 {
        self.cluster_count as u64 * self.cluster_bytes as u64
    }

    /// Offset of the FAT in use.
    pub fn active_fat_offset(&self) -> u64 {
        self.fat_offset + self.active_fat as u64 * self.fat_bytes
    }
}

/// Why one copy of the boot region cannot be used.
enum RegionFault {
    /// Not exFAT at all (no file system name): nothing to warn about, just not this volume.
    Foreign(String),
    /// exFAT, but damaged.
    Damaged(String),
    /// The image could not be read there.
    Io(std::io::Error),
}

/// Reads one copy of the boot region, `region_sector` sectors of `sector_bytes` into the volume.
/// With `expect_bytes` unknown (the main copy), the sector size comes from the sector itself.
fn read_copy<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    volume_offset: u64,
    region_at: u64,
    copy: BootCopy,
    expect_bytes: Option<u32>,
) -> Result<BootRegion, RegionFault> {
    let mut sector = [0u8; FIELDS_BYTES];
    reader
        .read_at(volume_offset.saturating_add(region_at), &mut sector)
        .map_err(RegionFault::Io)?;
    if !is_exfat_boot_sector(&sector) {
        return Err(RegionFault::Foreign(
            "its boot sector does not name the exFAT file system".into(),
        ));
    }
    let boot = BootRegion::parse(&sector, copy).map_err(RegionFault::Damaged)?;
    if let Some(expected) = expect_bytes
        && boot.sector_bytes != expected
    {
        return Err(RegionFault::Damaged(format!(
            "it declares {}-byte sectors but lies where {expected}-byte sectors would put it",
            boot.sector_bytes
        )));
    }
    let sb = boot.sector_bytes as usize;
    let mut region = vec![0u8; sb * REGION_SECTORS as usize];
    reader
        .read_at(volume_offset.saturating_add(region_at), &mut region)
        .map_err(RegionFault::Io)?;
    let (covered, checksum_sector) = region.split_at(sb * 11);
    let sum = boot_checksum(covered);
    let mismatch = checksum_sector.chunks_exact(4).position(|c| {
        let mut le = [0u8; 4];
        le.copy_from_slice(c);
        u32::from_le_bytes(le) != sum
    });
    if mismatch.is_some() {
        return Err(RegionFault::Damaged(
            "its boot checksum does not match its sectors".into(),
        ));
    }
    Ok(boot)
}

/// Reads the volume's boot region at `volume_offset`: the main copy when it is sound, else the
/// backup (with a warning). Fails when neither copy is usable.
pub fn read<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    volume_offset: u64,
    warnings: &mut Vec<String>,
) -> Result<BootRegion, ExfatError> {
    let main_fault = match read_copy(reader, volume_offset, 0, BootCopy::Main, None) {
        Ok(boot) => return Ok(boot),
        Err(fault) => fault,
    };
    let main_reason = match main_fault {
        RegionFault::Io(e) => return Err(ExfatError::from_io(e, "boot region")),
        RegionFault::Foreign(why) | RegionFault::Damaged(why) => why,
    };
    // The backup starts at sector 12; the damaged main copy cannot be trusted for the sector
    // size, so each possible size is tried and the backup must agree with its own position.
    let mut backup_reasons = Vec::new();
    for sector_bytes in [512u32, 1024, 2048, 4096] {
        let at = REGION_SECTORS * sector_bytes as u64;
        if volume_offset.saturating_add(at + FIELDS_BYTES as u64) > reader.len() {
            break;
        }
        match read_copy(
            reader,
            volume_offset,
            at,
            BootCopy::Backup,
            Some(sector_bytes),
        ) {
            Ok(boot) => {
                warnings.push(format!(
                    "the main boot region is damaged ({main_reason}); the backup boot region was used instead (its dirty flag and usage figure may be stale)"
                ));
                return Ok(boot);
            }
            Err(RegionFault::Damaged(why)) => backup_reasons.push(why),
            Err(RegionFault::Foreign(_)) => {}
            Err(RegionFault::Io(e)) => return Err(ExfatError::from_io(e, "backup boot region")),
        }
    }
    let mut sector = [0u8; FIELDS_BYTES];
    reader
        .read_at(volume_offset, &mut sector)
        .map_err(|e| ExfatError::from_io(e, "boot sector"))?;
    if !is_exfat_boot_sector(&sector) && backup_reasons.is_empty() {
        return Err(ExfatError::NotExfat(main_reason));
    }
    let backup = if backup_reasons.is_empty() {
        "no backup boot region was found".to_string()
    } else {
        format!(
            "the backup boot region is damaged too ({})",
            backup_reasons.join("; ")
        )
    };
    Err(ExfatError::BadBootRegion(format!(
        "{main_reason}; {backup}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A boot sector for a 64 MiB volume with 512-byte sectors and 128 KiB clusters.
    fn sector() -> [u8; 512] {
        let mut s = [0u8; 512];
        s[0..3].copy_from_slice(&[0xEB, 0x76, 0x90]);
        s[3..11].copy_from_slice(b"EXFAT   ");
        s[72..80].copy_from_slice(&131_072u64.to_le_bytes());
        s[80..84].copy_from_slice(&2048u32.to_le_bytes());
        s[84..88].copy_from_slice(&256u32.to_le_bytes());
        s[88..92].copy_from_slice(&4096u32.to_le_bytes());
        s[92..96].copy_from_slice(&496u32.to_le_bytes());
        s[96..100].copy_from_slice(&4u32.to_le_bytes());
        s[104..106].copy_from_slice(&0x0100u16.to_le_bytes());
        s[108] = 9;
        s[109] = 8;
        s[110] = 1;
        s[510] = 0x55;
        s[511] = 0xAA;
        s
    }

    #[test]
    fn a_sound_boot_sector_parses() {
        let b = BootRegion::parse(&sector(), BootCopy::Main).unwrap();
        assert_eq!((b.sector_bytes, b.cluster_bytes), (512, 128 * 1024));
        assert_eq!((b.fat_offset, b.heap_offset), (1 << 20, 2 << 20));
        assert_eq!(b.cluster_offset(4), (2 << 20) + 2 * 128 * 1024);
        assert_eq!(b.revision, (1, 0));
    }

    #[test]
    fn impossible_fields_are_named() {
        for (at, bytes, words) in [
            (108usize, vec![13u8], "bytes per sector"),
            (109, vec![17], "32 MiB"),
            (110, vec![3], "number of FATs"),
            (80, vec![10, 0, 0, 0], "inside the boot regions"),
            (84, vec![1, 0, 0, 0], "too small"),
            (88, vec![0, 1, 0, 0], "inside the FAT region"),
            (92, vec![0xE8, 0x03, 0, 0], "past the end of the volume"),
            (96, vec![0, 2, 0, 0], "root directory cluster"),
            (20, vec![1], "not zero"),
        ] {
            let mut s = sector();
            s[at..at + bytes.len()].copy_from_slice(&bytes);
            let err = BootRegion::parse(&s, BootCopy::Main).unwrap_err();
            assert!(err.contains(words), "{err} should say {words}");
        }
    }

    #[test]
    fn the_checksum_skips_the_flags_and_usage_bytes() {
        let mut region = vec![0u8; 11 * 512];
        region[..512].copy_from_slice(&sector());
        let sum = boot_checksum(&region);
        region[106] = 0xFF;
        region[107] = 0xFF;
        region[112] = 42;
        assert_eq!(boot_checksum(&region), sum);
        region[100] ^= 1;
        assert_ne!(boot_checksum(&region), sum);
    }
}
