use super::*;

fn boxed(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
    let mut v = ((content.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(content);
    v
}

fn moov(elst_entries: &[(u32, i32)]) -> Vec<u8> {
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&2100u32.to_be_bytes());
    let mut elst = vec![0, 0, 0, 0];
    elst.extend_from_slice(&(elst_entries.len() as u32).to_be_bytes());
    for (d, m) in elst_entries {
        elst.extend_from_slice(&d.to_be_bytes());
        elst.extend_from_slice(&m.to_be_bytes());
        elst.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    }
    let tkhd = vec![0u8; 84];
    let trak = [
        boxed(b"tkhd", &tkhd),
        boxed(b"edts", &boxed(b"elst", &elst)),
    ]
    .concat();
    [boxed(b"mvhd", &mvhd), boxed(b"trak", &trak)].concat()
}

#[test]
fn media_edit_is_shortened_and_durations_follow() {
    let mut m = moov(&[(2100, 24064)]);
    patch_moov(&mut m, 2.0).unwrap();
    let (elst_dur_at, tkhd_dur_at, mvhd_dur_at) = (
        8 + 100 + 8 + 8 + 84 + 8 + 8 + 8,
        8 + 100 + 8 + 8 + 20,
        8 + 16,
    );
    assert_eq!(be_u32(&m, elst_dur_at).unwrap(), 2000);
    assert_eq!(
        be_u32(&m, elst_dur_at + 4).unwrap(),
        24064,
        "media time is kept"
    );
    assert_eq!(be_u32(&m, tkhd_dur_at).unwrap(), 2000);
    assert_eq!(be_u32(&m, mvhd_dur_at).unwrap(), 2000);
}

#[test]
fn empty_edit_delay_is_kept_and_counted() {
    let mut m = moov(&[(40, -1), (2100, 0)]);
    patch_moov(&mut m, 1.0).unwrap();
    let first = 8 + 100 + 8 + 8 + 84 + 8 + 8 + 8;
    assert_eq!(be_u32(&m, first).unwrap(), 40);
    assert_eq!(be_u32(&m, first + 12).unwrap(), 960);
}

#[test]
fn durations_round_down() {
    let mut m = moov(&[(5000, 0)]);
    // 59 frames at 30 fps = 1966.67 ms: the edit must not reach the 60th frame.
    patch_moov(&mut m, 59.0 / 30.0).unwrap();
    let first = 8 + 100 + 8 + 8 + 84 + 8 + 8 + 8;
    assert_eq!(be_u32(&m, first).unwrap(), 1966);
}

#[test]
fn garbage_is_refused_without_panic() {
    let mut junk = vec![0xff; 64];
    assert!(patch_moov(&mut junk, 1.0).is_err());
    let mut short = moov(&[(1, 0)]);
    short.truncate(40);
    assert!(patch_moov(&mut short, 1.0).is_err());
}
