//! From a rectangle drawn on the upright preview to pixels of the image as
//! stored.
//!
//! The interface draws on the preview, which is turned upright per the EXIF
//! orientation; the vault's regions are in pixels of the image as stored
//! (before orientation), so that the operation recorded in custody names the
//! very pixels covered. Each of the eight EXIF orientations is a flip or a
//! quarter turn, so a rectangle maps to a rectangle.

use serde::Deserialize;
use specta::Type;
use temoin_media::redact::Region;

/// A rectangle as fractions (0 to 1) of the upright preview's width and
/// height, from its top-left corner.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Type)]
pub struct FractionRect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The stored-image point (as fractions) shown at upright point `(u, v)`.
fn to_stored(orientation: u16, u: f64, v: f64) -> (f64, f64) {
    match orientation {
        2 => (1.0 - u, v),
        3 => (1.0 - u, 1.0 - v),
        4 => (u, 1.0 - v),
        5 => (v, u),
        6 => (v, 1.0 - u),
        7 => (1.0 - v, 1.0 - u),
        8 => (1.0 - v, u),
        _ => (u, v),
    }
}

/// Maps `r` on the upright preview of a `width` × `height` stored image
/// with EXIF `orientation` to a region in stored pixels. `None` when the
/// rectangle is not finite or covers no pixel once clamped to the image.
pub fn to_region(r: FractionRect, width: u32, height: u32, orientation: u16) -> Option<Region> {
    if ![r.x, r.y, r.w, r.h].iter().all(|v| v.is_finite()) || width == 0 || height == 0 {
        return None;
    }
    let clamp = |v: f64| v.clamp(0.0, 1.0);
    let (x0, y0) = (clamp(r.x.min(r.x + r.w)), clamp(r.y.min(r.y + r.h)));
    let (x1, y1) = (clamp(r.x.max(r.x + r.w)), clamp(r.y.max(r.y + r.h)));
    let (a, b) = (
        to_stored(orientation, x0, y0),
        to_stored(orientation, x1, y1),
    );
    // Round outwards: a region meant to hide a face must not lose its edge
    // pixels to rounding.
    let px = |f: f64, n: u32| (f * f64::from(n)).floor().clamp(0.0, f64::from(n)) as u32;
    let px_up = |f: f64, n: u32| (f * f64::from(n)).ceil().clamp(0.0, f64::from(n)) as u32;
    let (sx0, sx1) = (px(a.0.min(b.0), width), px_up(a.0.max(b.0), width));
    let (sy0, sy1) = (px(a.1.min(b.1), height), px_up(a.1.max(b.1), height));
    if sx1 <= sx0 || sy1 <= sy0 {
        return None;
    }
    Some(Region {
        x: sx0,
        y: sy0,
        w: sx1 - sx0,
        h: sy1 - sy0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> FractionRect {
        FractionRect { x, y, w, h }
    }

    fn region(x: u32, y: u32, w: u32, h: u32) -> Region {
        Region { x, y, w, h }
    }

    #[test]
    fn upright_images_map_straight_to_pixels() {
        assert_eq!(
            to_region(rect(0.25, 0.5, 0.5, 0.25), 400, 200, 1),
            Some(region(100, 100, 200, 50))
        );
    }

    #[test]
    fn a_rectangle_drawn_backwards_is_the_same_rectangle() {
        assert_eq!(
            to_region(rect(0.75, 0.75, -0.5, -0.25), 400, 200, 1),
            Some(region(100, 100, 200, 50))
        );
    }

    #[test]
    fn a_quarter_turned_photo_maps_the_top_left_of_the_preview_to_the_stored_bottom_left() {
        // Orientation 6: shown turned 90 degrees clockwise. The stored
        // image is 400 wide and 300 high; the preview is 300 wide, 400 high.
        // The preview's top-left corner shows the stored bottom-left.
        assert_eq!(
            to_region(rect(0.0, 0.0, 0.1, 0.1), 400, 300, 6),
            Some(region(0, 270, 40, 30))
        );
        // Orientation 8 (turned counter-clockwise): top-left shows top-right.
        assert_eq!(
            to_region(rect(0.0, 0.0, 0.1, 0.1), 400, 300, 8),
            Some(region(360, 0, 40, 30))
        );
        // Orientation 3 (upside down): top-left shows bottom-right.
        assert_eq!(
            to_region(rect(0.0, 0.0, 0.1, 0.1), 400, 300, 3),
            Some(region(360, 270, 40, 30))
        );
    }

    #[test]
    fn every_orientation_keeps_the_area_and_stays_inside_the_image() {
        for o in 1..=8u16 {
            let r = to_region(rect(0.2, 0.3, 0.4, 0.5), 1000, 800, o).expect("a region");
            assert!(r.x + r.w <= 1000 && r.y + r.h <= 800, "orientation {o}");
            let area = u64::from(r.w) * u64::from(r.h);
            assert!(
                (area as f64 - 0.2 * 1000.0 * 800.0).abs() < 1000.0,
                "o {o}: {area}"
            );
        }
    }

    #[test]
    fn rectangles_outside_or_empty_or_not_numbers_give_nothing() {
        assert_eq!(to_region(rect(1.2, 0.0, 0.5, 0.5), 100, 100, 1), None);
        assert_eq!(to_region(rect(0.2, 0.2, 0.0, 0.5), 100, 100, 1), None);
        assert_eq!(to_region(rect(f64::NAN, 0.2, 0.1, 0.5), 100, 100, 1), None);
        assert_eq!(to_region(rect(0.2, 0.2, 0.1, 0.1), 0, 100, 1), None);
        // Partly outside: clamped to the image.
        assert_eq!(
            to_region(rect(0.9, 0.9, 0.5, 0.5), 100, 100, 1),
            Some(region(90, 90, 10, 10))
        );
    }
}
