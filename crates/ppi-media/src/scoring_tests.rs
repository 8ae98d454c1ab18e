use super::*;

fn img(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> Gray {
    Gray {
        width: w,
        height: h,
        data: (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect(),
    }
}

fn sample(t: f64, g: &Gray) -> Sample {
    Sample {
        time: t,
        features: features(g, None),
    }
}

#[test]
fn a_checkerboard_is_sharper_than_its_blur_and_black_is_worst() {
    let sharp = img(
        32,
        32,
        |x, y| if (x / 2 + y / 2) % 2 == 0 { 40 } else { 210 },
    );
    let soft = img(32, 32, |x, _| (60 + x * 4) as u8);
    let black = img(32, 32, |_, _| 0);
    let (a, b, c) = (
        features(&sharp, None),
        features(&soft, None),
        features(&black, None),
    );
    assert!(a.sharpness > b.sharpness && b.sharpness >= c.sharpness);
    assert_eq!(c.clipped, 1.0);
    assert_eq!(c.contrast, 0.0);
    let s = vec![sample(0.0, &black), sample(1.0, &soft), sample(2.0, &sharp)];
    let sc = scores(&s, 1.0, 1.0, &Weights::default());
    let ch = choose(&s, &sc, 1.0);
    assert_eq!(ch.sample, Some(2), "{sc:?}");
    assert!(ch.score > ch.middle_score);
}

#[test]
fn a_flat_interval_keeps_the_exact_middle() {
    let g = img(16, 16, |x, y| ((x * 7 + y * 3) % 200) as u8);
    let s: Vec<Sample> = (0..9).map(|i| sample(i as f64 * 0.25, &g)).collect();
    let sc = scores(&s, 1.1, 1.0, &Weights::default());
    let ch = choose(&s, &sc, 1.1);
    assert_eq!(ch.sample, None);
    assert_eq!(ch.time, 1.1);
}

#[test]
fn no_samples_means_the_middle() {
    let ch = choose(&[], &[], 3.0);
    assert_eq!((ch.time, ch.sample), (3.0, None));
}

#[test]
fn motion_is_the_difference_from_the_previous_sample() {
    let a = img(8, 8, |_, _| 100);
    let b = img(8, 8, |_, _| 151);
    assert!((features(&b, Some(&a)).motion - 0.2).abs() < 1e-9);
    assert_eq!(features(&b, None).motion, 0.0);
}
