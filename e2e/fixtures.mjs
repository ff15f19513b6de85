// Test cards made at test time by real tools: mkfs.fat and mtools write the FAT, ffmpeg records
// real H.264 clips, and the dashcard CLI (the same core as the page) simulates whole cameras and
// gives the expected answers.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CLI = process.env.DASHCARD_CLI || path.join(here, '..', 'target', 'debug', 'dashcard');

function run(cmd, args) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** A fresh temporary directory. */
export function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dashcard-e2e-'));
}

/** A real H.264 clip of `seconds`, moov at the end as dash cams write it. */
function clip(dir, name, seconds) {
  const file = path.join(dir, name);
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i',
    `testsrc=size=320x240:rate=25:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast',
    '-pix_fmt', 'yuv420p', file]);
  return file;
}

/**
 * An 80 MiB FAT32 card written by mtools: two drives of road + cabin clips, a parking clip
 * after the first, a log file, and a deleted clip from the evening before.
 */
export function realCard(dir) {
  return realCardWithTruth(dir).image;
}

/**
 * The same card and what it holds, known without dashcard: from how it was made (two drives,
 * one parking clip, one deleted clip that nothing was written after, so still recoverable),
 * the road clips' lengths as ffprobe reads them, and the free space as mtools' `mdir` counts it.
 */
export function realCardWithTruth(dir) {
  const image = realCardImage(dir);
  const roadSeconds = ['20241012_075700_1.mp4', '20241012_075702_1.mp4', '20241012_173000_1.mp4']
    .map((name) => Number(run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration',
      '-of', 'default=nw=1:nk=1', path.join(dir, name)]).trim()))
    .reduce((a, b) => a + b, 0);
  const freeLine = run('mdir', ['-i', image, '::']).split('\n').find((l) => l.includes('bytes free'));
  const freeBytes = Number(freeLine.replace('bytes free', '').replace(/\s/g, ''));
  return {
    image,
    truth: { drives: 2, drivingSeconds: roadSeconds, parking: 1, events: 0, deleted: 1, recoverable: 1, freeBytes },
  };
}

function realCardImage(dir) {
  const image = path.join(dir, 'nexar-card.img');
  run('mkfs.fat', ['-C', '-F', '32', '-n', 'NEXAR', image, String(80 * 1024)]);
  run('mmd', ['-i', image, '::Nexar', '::Nexar/Movie']);
  const clips = [
    ['20241011_200000_1.mp4', 1],
    ['20241012_075700_1.mp4', 2],
    ['20241012_075700_2.mp4', 2],
    ['20241012_075702_1.mp4', 2],
    ['20241012_075702_2.mp4', 2],
    ['20241012_093000_U.mp4', 2],
    ['20241012_173000_1.mp4', 1],
    ['20241012_173000_2.mp4', 1],
  ];
  for (const [name, seconds] of clips) {
    run('mcopy', ['-i', image, clip(dir, name, seconds), `::Nexar/Movie/${name}`]);
  }
  const log = path.join(dir, 'LOG.TXT');
  fs.writeFileSync(log, 'camera log\n');
  run('mcopy', ['-i', image, log, '::LOG.TXT']);
  run('mdel', ['-i', image, '::Nexar/Movie/20241011_200000_1.mp4']);
  return image;
}

/**
 * The real card with one clip's `mvhd` patched in the image's bytes to claim 4,294,967,280 s,
 * as a corrupt entry might: the page must leave it out of its figures and say so.
 */
export function corruptCard(dir) {
  const image = realCard(dir);
  const clip = cliReport(image).files.find((f) => f.path === 'Nexar/Movie/20241012_075702_1.mp4');
  if (clip.extents.length !== 1) throw new Error('the clip to corrupt is not contiguous');
  const { offset } = clip.extents[0];
  const fd = fs.openSync(image, 'r+');
  const bytes = Buffer.alloc(clip.bytes);
  fs.readSync(fd, bytes, 0, clip.bytes, offset);
  const at = bytes.indexOf('mvhd');
  const fields = Buffer.alloc(8);
  fields.writeUInt32BE(1, 0); // timescale
  fields.writeUInt32BE(0xfffffff0, 4); // duration
  fs.writeSync(fd, fields, 0, 8, offset + at + 16);
  fs.closeSync(fd);
  return image;
}

/**
 * A card for playback: a real clip written by mtools into a hole left by a deleted file, so it
 * is fragmented, and a second clip deleted afterwards, so it is recoverable. Returns the image
 * and the host copies of both clips.
 */
export function playbackCard(dir) {
  const image = path.join(dir, 'playback.img');
  // FAT16: mtools fills the first free clusters there (on FAT32 it follows FSInfo's next-free hint).
  run('mkfs.fat', ['-C', '-F', '16', '-s', '1', '-n', 'NEXAR', image, String(32 * 1024)]);
  run('mmd', ['-i', image, '::Nexar']);
  const filler = (name) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.alloc(64 * 1024, 7));
    return file;
  };
  run('mcopy', ['-i', image, filler('F1.BIN'), '::Nexar/F1.BIN']);
  run('mcopy', ['-i', image, filler('F2.BIN'), '::Nexar/F2.BIN']);
  run('mdel', ['-i', image, '::Nexar/F1.BIN']);
  const fragmented = clip(dir, '20241012_075700_1.mp4', 4);
  run('mcopy', ['-i', image, fragmented, '::Nexar/20241012_075700_1.mp4']);
  const deleted = clip(dir, '20241012_080000_1.mp4', 2);
  run('mcopy', ['-i', image, deleted, '::Nexar/20241012_080000_1.mp4']);
  run('mdel', ['-i', image, '::Nexar/20241012_080000_1.mp4']);
  return { image, fragmented, deleted };
}

/**
 * A card whose only clip is H.265 (HEVC, ffmpeg's libx265), as cameras set to H.265 record it:
 * browsers without an H.265 decoder cannot play it.
 */
export function hevcCard(dir) {
  const image = path.join(dir, 'hevc.img');
  run('mkfs.fat', ['-C', '-F', '16', '-n', 'NEXAR', image, String(16 * 1024)]);
  run('mmd', ['-i', image, '::Nexar']);
  const file = path.join(dir, '20241012_090000_1.mp4');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i',
    'testsrc=size=320x240:rate=25:duration=2', '-c:v', 'libx265', '-preset', 'ultrafast',
    '-x265-params', 'log-level=error', '-tag:v', 'hvc1', '-pix_fmt', 'yuv420p', file]);
  run('mcopy', ['-i', image, file, '::Nexar/20241012_090000_1.mp4']);
  return image;
}

/** `dashcard report --json` exactly as printed. */
export function cliReportText(source) {
  return run(CLI, ['report', '--json', source]);
}

/** The files of `image` copied out by mtools into a folder, as a mounted card shows them. */
export function folderOf(image, dir) {
  const folder = path.join(dir, 'NEXAR');
  fs.mkdirSync(folder);
  run('mcopy', ['-s', '-n', '-i', image, '::*', folder]);
  return folder;
}

/** A card simulated by `dashcard simulate` (sparse, so its size costs little disk). */
export function simulatedCard(dir, family, size, days) {
  const image = path.join(dir, `${family}.img`);
  run(CLI, ['simulate', '--family', family, '--size', size, '--days', String(days), '--sos-limit', '5', image]);
  return image;
}

/** Random bytes that are no card at all. */
export function garbageImage(dir) {
  const image = path.join(dir, 'garbage.img');
  const bytes = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  fs.writeFileSync(image, bytes);
  return image;
}

/**
 * A card folder of `count` real clips (ffmpeg), as a mounted Nexar Pro card shows it: one drive
 * of road clips a minute apart under Nexar/Movie, each modified when its name says, their
 * lengths 1–7 s in turn — so a clip read from another clip's file, or not read at all, changes
 * the report. Enough clips for the page to share their headers between workers.
 */
export function manyClipsFolder(dir, count) {
  const folder = path.join(dir, 'NEXAR');
  const movies = path.join(folder, 'Nexar', 'Movie');
  fs.mkdirSync(movies, { recursive: true });
  const lengths = [1, 2, 3, 4, 5, 6, 7].map((s) => clip(dir, `len${s}.mp4`, s));
  for (let i = 0; i < count; i++) {
    const when = new Date(Date.UTC(2024, 9, 12, 8, 0, 0) + i * 60_000);
    const stamp = when.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
    const file = path.join(movies, `${stamp}_1.mp4`);
    fs.copyFileSync(lengths[i % lengths.length], file);
    fs.utimesSync(file, when, when);
  }
  return folder;
}

/** `dashcard report --json` on a card image or folder: the expected answers. */
export function cliReport(source, extra = []) {
  return JSON.parse(run(CLI, ['report', '--json', ...extra, source]));
}

/** The 4096-byte XOR pad of a 32-character camera key (the algorithm of Nexar's decrypt tool). */
export function xorPad(key) {
  const bytes = Buffer.alloc(32);
  Buffer.from(key.toLowerCase(), 'latin1').copy(bytes, 0, 0, 32);
  let seed = 0;
  for (const b of bytes) seed = (Math.imul(seed, 17) ^ b) >>> 0;
  const pad = Buffer.alloc(4096);
  let s = BigInt(seed);
  for (let i = 0; i < 4096; i++) {
    s = (1103515245n * s + 12345n) % 2147483648n;
    const n = Number(s);
    pad[i] = ((n >> 24) ^ (n >> 16) ^ (n >> 8) ^ n) & 0xff;
  }
  return pad;
}

/** `data` XORed with the pad of `key`, as the camera encrypts a clip. */
export function encrypt(data, key) {
  const pad = xorPad(key);
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) out[i] ^= pad[i % 4096];
  return out;
}

export const FACTORY_KEY = '16709222346338273533791789265665';
export const OWNER_KEY = 'f626ad1ffb5159bef3e9295df34244af';

/** A fragmented clip as the newer cameras record them (ffmpeg, one fragment a second). */
function fragmentedClip(dir, name, seconds) {
  const file = path.join(dir, name);
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i',
    `testsrc=size=320x240:rate=25:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast',
    '-pix_fmt', 'yuv420p', '-g', '25', '-movflags', 'frag_keyframe+empty_moov', file]);
  return file;
}

/**
 * A card laid out as a Nexar N1 writes it (mkfs.fat, mtools, ffmpeg): video/ with a road and a
 * second camera's segments named in UTC (22:30Z, 17:30 at the camera's UTC−5), their sidecars,
 * one segment locked (read-only), one encrypted with the factory default key, two with an owner's
 * key; an SOS event and a photo. Returns the image and the host copies of the plaintext clips.
 */
export function newerCard(dir) {
  const image = path.join(dir, 'n1-card.img');
  run('mkfs.fat', ['-C', '-F', '32', '-n', 'NO NAME', image, String(96 * 1024)]);
  run('mmd', ['-i', image, '::video', '::video/.thumb', '::video/.imu', '::video/.gnss', '::sos', '::sos/.thumb', '::photo']);
  const put = (host, cardPath) => run('mcopy', ['-i', image, host, `::${cardPath}`]);
  const write = (name, bytes) => { const f = path.join(dir, name); fs.writeFileSync(f, bytes); return f; };
  const plain = {};
  for (const [stem, seconds] of [['20241012_223000A', 4], ['20241012_223000B', 4], ['20241012_223100A', 3]]) {
    const clip = fragmentedClip(dir, `${stem}.mp4`, seconds);
    put(clip, `video/${stem}.mp4`);
    plain[`video/${stem}.mp4`] = clip;
  }
  const thumb = path.join(dir, 'thumb.jpg');
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=orange:s=160x90', '-frames:v', '1', thumb]);
  const imu = write('h.dat', 'device=NEXAR_N1-v1.4.2; sn=N1SERIAL77; vsn=; cpuid=; wifimac=0c:8c:dc:01:02:0a; trip=; timezone=-18000; time=1728772200,5123; gsensor=x; gyro=y\n');
  for (const stem of ['20241012_223000A', '20241012_223000B', '20241012_223100A']) {
    put(thumb, `video/.thumb/${stem}_net.jpg`);
    put(imu, `video/.imu/${stem}.dat`);
    put(write('g.txt', 't0=1728772200.005\nts=0.001\n'), `video/.gnss/${stem}.txt`);
  }
  // Encrypted: one with the factory default key, two with the owner's (they share a prefix).
  const secret = fragmentedClip(dir, 'secret.mp4', 3);
  plain['video/20241012_223500A.mp4'] = secret;
  put(write('f.mp4', encrypt(fs.readFileSync(secret), FACTORY_KEY)), 'video/20241012_223500A.mp4');
  for (const stem of ['20241012_223600A', '20241012_223700A']) {
    const clip = fragmentedClip(dir, `${stem}-plain.mp4`, 2);
    plain[`video/${stem}.mp4`] = clip;
    put(write(`${stem}.enc`, encrypt(fs.readFileSync(clip), OWNER_KEY)), `video/${stem}.mp4`);
  }
  const event = fragmentedClip(dir, 'event.mp4', 3);
  put(event, 'sos/20241012_223000A_SOS.mp4');
  put(thumb, 'sos/.thumb/20241012_223000A_SOS_net.jpg');
  put(thumb, 'photo/20241012_223000A.jpg');
  run('mattrib', ['-i', image, '+r', '::video/20241012_223100A.mp4']);
  return { image, plain };
}

/** A Nexar N1-style card simulated onto exFAT by `dashcard simulate --filesystem exfat`. */
export function exfatCard(dir, family, size, days) {
  const image = path.join(dir, `${family}-exfat.img`);
  run(CLI, ['simulate', '--family', family, '--size', size, '--days', String(days), '--filesystem', 'exfat', image]);
  return image;
}

/**
 * A small exFAT card of real clips written by the exFAT writer (`sim/examples/exfat_clips.rs`):
 * a fragmented road clip, a cabin clip, a clip sized past what was written (it must read as
 * zeros there, not as the deleted file beneath), and a recoverable deleted clip.
 */
export function exfatClipsCard(dir) {
  const image = path.join(dir, 'exfat-clips.img');
  const road = clip(dir, 'road.mp4', 4);
  const cabin = clip(dir, 'cabin.mp4', 2);
  const deleted = clip(dir, 'deleted.mp4', 1);
  execFileSync('cargo', ['run', '--quiet', '-p', 'dashcard-sim', '--example', 'exfat_clips', '--', image, road, cabin, deleted],
    { cwd: path.join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  return { image, road, cabin, deleted };
}

/** `dashcard cat`: a file's bytes as the CLI reads them. */
export function cliCat(image, file) {
  return execFileSync(CLI, ['cat', image, file], { maxBuffer: 1 << 30 });
}

/**
 * A card for the owner who was just hit (issue 16), written by mtools on FAT16 (which fills
 * the first free clusters, and reuses a deleted entry's slots for the next file of its
 * folder): a drive, a drive whose first road segment is missing, a live parking clip, a file named as a parking clip that is no video at
 * all, a parking clip deleted and then overwritten by a log file in another folder (lost), and
 * a parking clip deleted last, whose clusters are still free (recoverable). Returns the image
 * and the host copies of the clips.
 */
export function incidentCard(dir) {
  const image = path.join(dir, 'incidents.img');
  run('mkfs.fat', ['-C', '-F', '16', '-s', '4', '-n', 'NEXAR', image, String(32 * 1024)]);
  run('mmd', ['-i', image, '::Nexar', '::Nexar/Movie']);
  const put = (file, name) => run('mcopy', ['-i', image, file, `::Nexar/Movie/${name}`]);
  for (const name of ['20241012_100000_1.mp4', '20241012_100000_2.mp4']) put(clip(dir, name, 4), name);
  // A drive whose first road segment is gone: only the cabin camera recorded its first 2 s.
  for (const name of ['20241012_120000_2.mp4', '20241012_120002_1.mp4', '20241012_120002_2.mp4']) {
    put(clip(dir, name, 2), name);
  }
  const live = clip(dir, '20241012_103000_U.mp4', 2);
  put(live, '20241012_103000_U.mp4');
  const broken = path.join(dir, '20241012_104500_U.mp4');
  fs.writeFileSync(broken, 'this is not a video, only its name says so\n'.repeat(200));
  put(broken, '20241012_104500_U.mp4');
  const recoverable = clip(dir, '20241012_110000_U.mp4', 2);
  put(recoverable, '20241012_110000_U.mp4');
  put(clip(dir, '20241012_090000_U.mp4', 2), '20241012_090000_U.mp4');
  run('mdel', ['-i', image, '::Nexar/Movie/20241012_090000_U.mp4']);
  const log = path.join(dir, 'LOG.BIN');
  fs.writeFileSync(log, Buffer.alloc(256 * 1024, 0x5a));
  run('mcopy', ['-i', image, log, '::Nexar/LOG.BIN']);
  run('mdel', ['-i', image, '::Nexar/Movie/20241012_110000_U.mp4']);
  return { image, live, broken, recoverable };
}

/** Seconds `index * 4 ..` of one continuous test picture and 440 Hz tone (H.264 + AAC). */
function driveSegment(dir, name, index, fragmented) {
  const file = path.join(dir, name);
  const from = String(index * 4);
  run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-ss', from, '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
    '-ss', from, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', '4', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-bf', '2',
    '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '64k',
    ...(fragmented ? ['-movflags', 'frag_keyframe+empty_moov+default_base_moof'] : []), file]);
  return file;
}

/**
 * A FAT32 card (mkfs.fat + mtools) with one road drive of three 4-second segments from
 * 17:41:00 — classic MP4, fragmented, classic — cut from one continuous recording, so a
 * time range across the joins has a known answer. Returns the image and the host segments.
 */
export function clipCard(dir) {
  const image = path.join(dir, 'clip-card.img');
  run('mkfs.fat', ['-C', '-F', '32', '-n', 'NEXAR', image, String(80 * 1024)]);
  run('mmd', ['-i', image, '::Nexar']);
  const names = ['20241012_174100_1.mp4', '20241012_174104_1.mp4', '20241012_174108_1.mp4'];
  const segments = names.map((name, i) => driveSegment(dir, name, i, i === 1));
  segments.forEach((file, i) => run('mcopy', ['-i', image, file, `::Nexar/${names[i]}`]));
  // A parking clip after the drive: on no drive's timeline.
  const parking = driveSegment(dir, '20241012_180000_U.mp4', 0, false);
  run('mcopy', ['-i', image, parking, '::Nexar/20241012_180000_U.mp4']);
  return { image, segments, parking };
}

/** `dashcard clip` of `image` into `out`; returns what it printed. */
export function cliClip(image, from, to, out, extra = []) {
  return run(CLI, ['clip', image, '--from', from, '--to', to, '-o', out, ...extra]);
}
