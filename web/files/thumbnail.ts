/**
 * The small preview an image offer carries (the offer's `thumb`): at most MAX_THUMBNAIL_SIZE
 * pixels on its longest side, WebP where the browser can encode it, else JPEG, in base64 no longer
 * than MAX_THUMBNAIL_LENGTH. Browser only (createImageBitmap and a canvas).
 *
 * Only raster formats are decoded; never SVG, which can carry scripts and outside references.
 */
import { MAX_THUMBNAIL_LENGTH, MAX_THUMBNAIL_SIZE, type FileOffer } from '../../protocol/peer.js';

export type Thumbnail = NonNullable<FileOffer['thumb']>;

/** The image types a preview is made of. */
export const THUMBNAIL_SOURCE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/bmp'];

/** Tried in turn until the preview fits: quality, then a smaller size. */
const ATTEMPTS: readonly { scale: number; quality: number }[] = [
  { scale: 1, quality: 0.8 },
  { scale: 1, quality: 0.6 },
  { scale: 0.75, quality: 0.6 },
  { scale: 0.5, quality: 0.6 },
  { scale: 0.35, quality: 0.5 },
];

/** A decoded image larger than this (in pixels) is not previewed: decoding it could exhaust memory. */
const MAX_SOURCE_PIXELS = 100_000_000;

/** A preview of `file`, or undefined when it is not an image this makes previews of or it cannot be made small enough. */
export async function makeThumbnail(file: Blob): Promise<Thumbnail | undefined> {
  if (!THUMBNAIL_SOURCE_TYPES.includes(file.type)) return undefined;
  let bitmap: ImageBitmap | undefined;
  try {
    bitmap = await createImageBitmap(file);
    if (bitmap.width * bitmap.height > MAX_SOURCE_PIXELS) return undefined;
    const fit = Math.min(1, MAX_THUMBNAIL_SIZE / Math.max(bitmap.width, bitmap.height));
    for (const { scale, quality } of ATTEMPTS) {
      const width = Math.max(1, Math.round(bitmap.width * fit * scale));
      const height = Math.max(1, Math.round(bitmap.height * fit * scale));
      const blob = await encode(bitmap, width, height, quality);
      if (!blob) return undefined;
      const data = await base64(blob);
      if (data.length <= MAX_THUMBNAIL_LENGTH) return { mime: blob.type as Thumbnail['mime'], data, width, height };
    }
    return undefined;
  } catch {
    // Not decodable (a broken or unsupported image): the offer simply has no preview.
    return undefined;
  } finally {
    bitmap?.close();
  }
}

/** The image drawn at `width` × `height`, as WebP if the browser writes it, else JPEG. */
async function encode(bitmap: ImageBitmap, width: number, height: number, quality: number): Promise<Blob | undefined> {
  let blob: Blob | null;
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, width, height);
    blob = await canvas.convertToBlob({ type: 'image/webp', quality });
    if (blob.type !== 'image/webp') blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
  } else {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, width, height);
    const toBlob = (type: string): Promise<Blob | null> => new Promise((resolve) => canvas.toBlob(resolve, type, quality));
    blob = await toBlob('image/webp');
    if (blob?.type !== 'image/webp') blob = await toBlob('image/jpeg');
  }
  // A browser that writes neither (it falls back to PNG) gives no preview: PNG would rarely fit.
  return blob && (blob.type === 'image/webp' || blob.type === 'image/jpeg') ? blob : undefined;
}

async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
