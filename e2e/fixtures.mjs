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

/** `dashcard report --json` on a card image or folder: the expected answers. */
export function cliReport(source, extra = []) {
  return JSON.parse(run(CLI, ['report', '--json', ...extra, source]));
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
