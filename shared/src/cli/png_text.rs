//! A PNG with a text comment: previews stamp each chart with where its data came from, so
//! a chart copied out of the folder still says it was drawn from demo data.

/// `png` with a `tEXt` chunk `Comment: text` right after its header; any other bytes are
/// returned as they came (the chart renderer always writes a header first).
pub fn with_comment(png: &[u8], text: &str) -> Vec<u8> {
    // Signature (8 bytes), then IHDR: length (4), type (4), 13 bytes of data, CRC (4).
    const AFTER_HEADER: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < AFTER_HEADER || &png[12..16] != b"IHDR" {
        return png.to_vec();
    }
    // tEXt is Latin-1: anything else becomes '?'.
    let latin1: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    let mut chunk = b"tEXtComment\0".to_vec();
    chunk.extend_from_slice(&latin1);
    let length = u32::try_from(chunk.len() - 4).unwrap_or(0);
    let mut out = Vec::with_capacity(png.len() + chunk.len() + 8);
    out.extend_from_slice(&png[..AFTER_HEADER]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out.extend_from_slice(&png[AFTER_HEADER..]);
    out
}

/// CRC-32 as PNG's chunks use it (ISO 3309, reflected, polynomial 0xEDB88320).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_is_pngs() {
        // The CRC of an IEND chunk's type, as every PNG ends with it.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn the_comment_follows_the_header_and_the_rest_is_kept() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&[0; 17]);
        png.extend_from_slice(b"rest");
        let stamped = with_comment(&png, "demo data");
        let text = String::from_utf8_lossy(&stamped);
        assert!(text.contains("tEXtComment\0demo data"), "{text}");
        assert!(stamped.ends_with(b"rest"));
        assert_eq!(with_comment(b"not a png", "x"), b"not a png");
    }
}
