//! Each pattern's colour, the same in Label Studio's editor and in the analytics pictures: it
//! depends on the pattern's name only.

/// Distinct, readable label colours (Tableau 20 order, strong tones first).
const PALETTE: &[&str] = &[
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd",
    "#e6550d", "#31a354", "#756bb1", "#636363",
];

/// A colour per pattern that depends on its name only, so reordering the sheet or adding a
/// pattern keeps the others' colours (collisions take the next free slot, in sheet order).
pub fn colours(names: &[&str]) -> Vec<&'static str> {
    let mut used = vec![false; PALETTE.len()];
    names
        .iter()
        .map(|n| {
            let digest = crate::hash::sha256_hex(n.trim().to_lowercase().as_bytes());
            let h = u64::from_str_radix(&digest[..8], 16).unwrap_or(0) as usize;
            let start = h % PALETTE.len();
            let slot = (0..PALETTE.len())
                .map(|k| (start + k) % PALETTE.len())
                .find(|&i| !used[i])
                .unwrap_or(start);
            used[slot] = true;
            PALETTE[slot]
        })
        .collect()
}
