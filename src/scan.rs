//! From a source to a report: partitions, FAT listing, MP4 headers.
