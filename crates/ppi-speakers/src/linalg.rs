//! Matrix products in PyTorch's weight layout, on `matrixmultiply`'s SIMD kernels, and the few
//! element-wise functions the models need.

/// `c[m×n] = beta·c + a[m×k] · wᵀ`, where `w` is `n×k` row-major (a PyTorch `Linear` or `LSTM`
/// weight, or a flattened convolution kernel). All slices are row-major and dense.
pub fn matmul_wt(a: &[f32], w: &[f32], m: usize, k: usize, n: usize, c: &mut [f32], beta: f32) {
    assert!(a.len() >= m * k && w.len() >= n * k && c.len() >= m * n);
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above bound every index the kernel reads or writes: `a` is m×k with
    // row stride k, `w` read transposed (k×n with row stride 1, column stride k), `c` m×n.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            k as isize,
            1,
            w.as_ptr(),
            1,
            k as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Adds `bias` (length n) to every row of `c` (m×n).
pub fn add_rows(c: &mut [f32], bias: &[f32]) {
    for row in c.chunks_exact_mut(bias.len()) {
        for (x, b) in row.iter_mut().zip(bias) {
            *x += b;
        }
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// One step of a PyTorch LSTM over a batch, in place: `gates` (rows × 4h, gate order i, f, g, o)
/// already holds `W_ih·x + b_ih + W_hh·h + b_hh`; `c` and `h` (rows × h) are updated.
pub fn lstm_cell(gates: &[f32], c: &mut [f32], h: &mut [f32], hidden: usize) {
    for ((g, c), h) in gates
        .chunks_exact(4 * hidden)
        .zip(c.chunks_exact_mut(hidden))
        .zip(h.chunks_exact_mut(hidden))
    {
        let (i, rest) = g.split_at(hidden);
        let (f, rest) = rest.split_at(hidden);
        let (gg, o) = rest.split_at(hidden);
        for j in 0..hidden {
            let cj = sigmoid(f[j]) * c[j] + sigmoid(i[j]) * gg[j].tanh();
            c[j] = cj;
            h[j] = sigmoid(o[j]) * cj.tanh();
        }
    }
}

/// Scales `v` to unit length (left as is when it is all zeros).
pub fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_uses_the_weight_transposed() {
        // a: 2×3, w: 2×3 (n=2, k=3) → c = a·wᵀ: 2×2.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let w = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0];
        let mut c = [10.0; 4];
        matmul_wt(&a, &w, 2, 3, 2, &mut c, 0.0);
        assert_eq!(c, [1.0, 5.0, 4.0, 11.0]);
        matmul_wt(&a, &w, 2, 3, 2, &mut c, 1.0);
        assert_eq!(c, [2.0, 10.0, 8.0, 22.0]);
    }

    #[test]
    fn an_lstm_cell_follows_pytorch() {
        // One unit, gates i=0, f=0, g=0, o=0 → c' = 0.5·c + 0.5·tanh(0) = 0.5·c.
        let mut c = [2.0];
        let mut h = [0.0];
        lstm_cell(&[0.0, 0.0, 0.0, 0.0], &mut c, &mut h, 1);
        assert!((c[0] - 1.0).abs() < 1e-6);
        assert!((h[0] - 0.5 * 1f32.tanh()).abs() < 1e-6);
    }
}
