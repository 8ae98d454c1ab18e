use super::*;

#[test]
fn parses_and_converts_to_pixels() {
    let c: CropBox = "25,10,50,80".parse().unwrap();
    assert_eq!(c.to_pixels(1280, 720), (320, 72, 640, 576));
    let c: CropBox = "0, 0, 100%, 100%".parse().unwrap();
    assert_eq!(c.to_pixels(64, 48), (0, 0, 64, 48));
}

#[test]
fn tiny_boxes_keep_one_pixel() {
    let c = CropBox::new(99.99, 99.99, 0.01, 0.01).unwrap();
    let (l, t, w, h) = c.to_pixels(100, 100);
    assert!(w >= 1 && h >= 1 && l + w <= 100 && t + h <= 100);
}

#[test]
fn overshoot_is_clamped_but_real_errors_are_not() {
    let c = CropBox::new(50.0, 50.0, 50.004, 50.0).unwrap();
    assert!(c.x + c.width <= 100.0);
    assert!(matches!(
        CropBox::new(60.0, 0.0, 50.0, 10.0),
        Err(InvalidCrop::PastEdge(..))
    ));
    assert!(matches!(
        "1,2,3".parse::<CropBox>(),
        Err(InvalidCrop::Syntax(_))
    ));
    assert!(matches!(
        CropBox::new(0.0, 0.0, 0.0, 10.0),
        Err(InvalidCrop::Empty)
    ));
    assert!(matches!(
        CropBox::new(-5.0, 0.0, 10.0, 10.0),
        Err(InvalidCrop::OutOfRange { field: "x", .. })
    ));
}
