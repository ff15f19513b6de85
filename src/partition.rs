//! Partition tables: MBR, GPT, or a bare FAT volume ("superfloppy").
