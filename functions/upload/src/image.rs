//! Image types, recognised from a file's first bytes (never from its name or a declared type).

/// The images the shop accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
    Gif,
    Avif,
}

impl ImageType {
    pub const ALL: [ImageType; 5] = [
        ImageType::Jpeg,
        ImageType::Png,
        ImageType::Webp,
        ImageType::Gif,
        ImageType::Avif,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
            ImageType::Gif => "image/gif",
            ImageType::Avif => "image/avif",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Jpeg => "jpg",
            ImageType::Png => "png",
            ImageType::Webp => "webp",
            ImageType::Gif => "gif",
            ImageType::Avif => "avif",
        }
    }

    /// The type a client declares for a direct upload (`image/jpeg`, ...); `image/jpg` is accepted too.
    pub fn from_mime(mime: &str) -> Option<ImageType> {
        let essence = mime
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "image/jpg" => Some(ImageType::Jpeg),
            other => Self::ALL.into_iter().find(|t| t.mime() == other),
        }
    }

    /// Recognises an image by its signature and its header. SVG (which can carry scripts), HTML and
    /// everything else: `None`; so is a signature whose header is cut short or gives no size.
    pub fn detect(bytes: &[u8]) -> Option<ImageType> {
        Header::read(bytes).map(|header| header.kind)
    }

    /// The type the first bytes claim, before the header is read.
    fn signature(bytes: &[u8]) -> Option<ImageType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageType::Png)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageType::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageType::Webp)
        } else if is_avif(bytes) {
            Some(ImageType::Avif)
        } else {
            None
        }
    }
}

/// What an image's header says: its type and its size in pixels (both at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: ImageType,
    pub width: u32,
    pub height: u32,
}

impl Header {
    /// Reads the header of the image at the start of `bytes`, up to the width and height: a PNG's
    /// `IHDR` chunk (its CRC checked), a JPEG's frame header (after any metadata segments), a GIF's
    /// logical screen, a WebP's `VP8 `, `VP8L` or `VP8X` chunk, an AVIF's `ispe` property. A signature
    /// followed by a few bytes is not an image: `None`.
    pub fn read(bytes: &[u8]) -> Option<Header> {
        let kind = ImageType::signature(bytes)?;
        let (width, height) = match kind {
            ImageType::Png => png_size(bytes),
            ImageType::Jpeg => jpeg_size(bytes),
            ImageType::Gif => gif_size(bytes),
            ImageType::Webp => webp_size(bytes),
            ImageType::Avif => avif_size(bytes),
        }?;
        (width > 0 && height > 0).then_some(Header {
            kind,
            width,
            height,
        })
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 2)?;
    Some(u32::from(u16::from_be_bytes([b[0], b[1]])))
}

fn le16(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 2)?;
    Some(u32::from(u16::from_le_bytes([b[0], b[1]])))
}

fn le24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], 0]))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

/// The `IHDR` chunk, which must come first: length 13, width, height, a valid bit depth for its
/// colour type, and the chunk's CRC.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let chunk = bytes.get(8..33)?;
    if chunk[..8] != *b"\0\0\0\x0dIHDR" {
        return None;
    }
    let data = &chunk[8..21];
    if be32(chunk, 21)? != crc32(&chunk[4..21]) {
        return None;
    }
    let (depth, colour) = (data[8], data[9]);
    let depth_fits = match colour {
        0 => matches!(depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(depth, 8 | 16),
        _ => false,
    };
    let (width, height) = (be32(data, 0)?, be32(data, 4)?);
    // PNG caps each side at 2^31 - 1; compression and filter method 0, interlace 0 or 1.
    let fits = width <= i32::MAX as u32 && height <= i32::MAX as u32;
    (fits && depth_fits && data[10] == 0 && data[11] == 0 && data[12] <= 1)
        .then_some((width, height))
}

/// Walks the segments (application data such as EXIF may come first) to the frame header (SOF).
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        // A marker may be preceded by fill bytes (0xFF).
        while *bytes.get(at)? == 0xFF {
            at += 1;
        }
        let marker = bytes[at];
        at += 1;
        match marker {
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            // Not a marker, a second start of image, the end, or scan data before any frame header.
            0x00 | 0xD8 | 0xD9 | 0xDA => return None,
            _ => {}
        }
        let length = be16(bytes, at)? as usize;
        // The segment must be there in full.
        let segment = bytes.get(at + 2..at + length.max(2))?;
        // SOF0-3, 5-7, 9-11, 13-15 (C4 is DHT, C8 reserved, CC is DAC).
        if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
            // Precision, height, width, component count, then three bytes per component.
            let components = usize::from(*segment.get(5)?);
            if components == 0 || segment.len() < 6 + 3 * components {
                return None;
            }
            return Some((be16(segment, 3)?, be16(segment, 1)?));
        }
        at += length.max(2);
    }
}

/// The logical screen descriptor after the signature.
fn gif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    bytes.get(6..13)?;
    Some((le16(bytes, 6)?, le16(bytes, 8)?))
}

/// The first chunk: lossy (`VP8 ` key frame), lossless (`VP8L`) or extended (`VP8X` canvas).
fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let data = &bytes[20.min(bytes.len())..];
    match bytes.get(12..16)? {
        b"VP8 " => {
            // Frame tag (bit 0 clear on a key frame), start code, then 14-bit width and height.
            let frame = data.get(..10)?;
            if frame[0] & 1 != 0 || frame[3..6] != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((le16(frame, 6)? & 0x3FFF, le16(frame, 8)? & 0x3FFF))
        }
        b"VP8L" => {
            // Signature 0x2F, then width - 1 and height - 1 in 14 bits each, and a version of 0.
            let header = data.get(..5)?;
            let bits = u32::from_le_bytes(header[1..5].try_into().ok()?);
            (header[0] == 0x2F && bits >> 29 == 0)
                .then_some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            // Flags and reserved bytes, then canvas width - 1 and height - 1 in 24 bits each.
            data.get(..10)?;
            Some((le24(data, 4)? + 1, le24(data, 7)? + 1))
        }
        _ => None,
    }
}

/// The image spatial extents (`ispe`) property, in `meta` > `iprp` > `ipco`.
fn avif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    // `meta` and `ispe` are full boxes: a version and flags come before their content.
    let meta = child_box(bytes, b"meta")?.get(4..)?;
    let properties = child_box(child_box(meta, b"iprp")?, b"ipco")?;
    let extents = child_box(properties, b"ispe")?;
    Some((be32(extents, 4)?, be32(extents, 8)?))
}

/// The content of the first ISO-BMFF box of type `kind` in `boxes`, if every box up to it is complete.
fn child_box<'b>(mut boxes: &'b [u8], kind: &[u8; 4]) -> Option<&'b [u8]> {
    while !boxes.is_empty() {
        let (header, size) = match be32(boxes, 0)? {
            0 => (8, boxes.len() as u64),
            1 => (16, be64(boxes, 8)?),
            size => (8, u64::from(size)),
        };
        let size = usize::try_from(size).ok().filter(|s| *s >= header)?;
        let content = boxes.get(header..size)?;
        if boxes.get(4..8)? == kind {
            return Some(content);
        }
        boxes = &boxes[size..];
    }
    None
}

/// CRC-32 (ISO 3309, as PNG chunks use it).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An ISO-BMFF `ftyp` box whose major or compatible brands include `avif` or `avis`.
fn is_avif(bytes: &[u8]) -> bool {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let box_size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = box_size.clamp(16, bytes.len());
    // Major brand at 8..12, minor version at 12..16, compatible brands from 16 on.
    std::iter::once(&bytes[8..12])
        .chain(bytes[16..end].chunks_exact(4))
        .any(|brand| brand == b"avif" || brand == b"avis")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest complete header of each type for a 3 x 2 picture, and where its size ends.
    fn header(kind: ImageType) -> Vec<u8> {
        match kind {
            ImageType::Png => {
                let mut chunk = b"IHDR\0\0\0\x03\0\0\0\x02\x08\x02\0\0\0".to_vec();
                let crc = crc32(&chunk);
                chunk.extend_from_slice(&crc.to_be_bytes());
                [&b"\x89PNG\r\n\x1a\n\0\0\0\x0d"[..], &chunk].concat()
            }
            ImageType::Jpeg => [
                &[0xFF, 0xD8][..],
                // APP0 (JFIF), then an APP1 that a sniffer reading 12 bytes would stop in.
                &[
                    0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
                ],
                &[0xFF, 0xE1, 0, 6, b'E', b'x', b'i', b'f'],
                // SOF0: precision 8, height 2, width 3, one component.
                &[0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0],
            ]
            .concat(),
            ImageType::Gif => b"GIF89a\x03\0\x02\0\xF0\0\0".to_vec(),
            ImageType::Webp => b"RIFF\x24\0\0\0WEBPVP8L\x0a\0\0\0\x2f\x02\x40\0\0".to_vec(),
            ImageType::Avif => {
                let boxed = |kind: &[u8], content: &[u8]| {
                    [
                        &((content.len() + 8) as u32).to_be_bytes()[..],
                        kind,
                        content,
                    ]
                    .concat()
                };
                let ispe = boxed(b"ispe", &[0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 2]);
                let meta = boxed(
                    b"meta",
                    &[&[0, 0, 0, 0][..], &boxed(b"iprp", &boxed(b"ipco", &ispe))].concat(),
                );
                [&boxed(b"ftyp", b"avif\0\0\0\0avifmif1miaf")[..], &meta].concat()
            }
        }
    }

    /// A complete header followed by picture data, for tests.
    fn sample(kind: ImageType) -> Vec<u8> {
        let mut bytes = header(kind);
        bytes.extend_from_slice(&[0u8; 32]);
        bytes
    }

    #[test]
    fn every_accepted_type_is_recognised_with_its_size() {
        for kind in ImageType::ALL {
            assert_eq!(
                Header::read(&sample(kind)),
                Some(Header {
                    kind,
                    width: 3,
                    height: 2
                }),
                "{kind:?}"
            );
        }
        let webp_lossy = b"RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0\x30\x01\0\x9d\x01\x2a\x03\0\x02\0";
        let webp_extended = b"RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\x10\0\0\0\x02\0\0\x01\0\0";
        for (bytes, size) in [(&webp_lossy[..], (3, 2)), (&webp_extended[..], (3, 2))] {
            let header = Header::read(bytes).expect("a WebP header");
            assert_eq!((header.width, header.height), size);
        }
        let mut heic_with_avif_brand = b"\0\0\0\x20ftypheic\0\0\0\0mif1heicavifmiaf".to_vec();
        heic_with_avif_brand.extend_from_slice(&header(ImageType::Avif)[28..]);
        assert_eq!(
            ImageType::detect(&heic_with_avif_brand),
            Some(ImageType::Avif)
        );
    }

    #[test]
    fn a_signature_with_a_header_cut_short_is_not_an_image() {
        for kind in ImageType::ALL {
            let header = header(kind);
            for end in 0..header.len() {
                assert_eq!(
                    ImageType::detect(&header[..end]),
                    None,
                    "{kind:?} cut at {end}"
                );
            }
        }
        // The finding of issue 15: a PNG signature and four bytes.
        assert_eq!(ImageType::detect(b"\x89PNG\r\n\x1a\nAAAA"), None);
    }

    #[test]
    fn a_header_that_gives_no_size_or_a_wrong_one_is_not_an_image() {
        let png = header(ImageType::Png);
        let mut bad_crc = png.clone();
        bad_crc[20] ^= 1;
        let mut zero_width = header(ImageType::Gif);
        zero_width[6] = 0;
        let mut bad_depth = png.clone();
        bad_depth[24] = 3;
        let scan_first = [
            0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0,
        ];
        for (bytes, why) in [
            (&bad_crc[..], "IHDR with a wrong CRC"),
            (&zero_width, "GIF 0 pixels wide"),
            (&bad_depth, "PNG RGB at 3 bits"),
            (&scan_first, "JPEG scan before its frame header"),
        ] {
            assert_eq!(ImageType::detect(bytes), None, "{why}");
        }
    }

    #[test]
    fn svg_html_and_other_files_are_not_images() {
        for bytes in [
            &b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"[..],
            b"<!DOCTYPE html><html>",
            b"%PDF-1.7",
            b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"",
            b"\xFF\xD8",
        ] {
            assert_eq!(
                ImageType::detect(bytes),
                None,
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn crc32_matches_its_published_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn declared_types_map_to_images_only() {
        assert_eq!(ImageType::from_mime("image/png"), Some(ImageType::Png));
        assert_eq!(ImageType::from_mime("IMAGE/JPG"), Some(ImageType::Jpeg));
        assert_eq!(ImageType::from_mime("image/svg+xml"), None);
        assert_eq!(ImageType::from_mime("text/html"), None);
    }
}
