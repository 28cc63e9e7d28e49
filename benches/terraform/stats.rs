//! Medians and growth of per-resource cost.

/// The median (mean of the middle two for an even count); 0 when empty.
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// For sizes `n = [a, b, c]` and times `t`: the marginal time per resource
/// from b to c divided by the one from a to b. 1 is linear; >1 grows
/// super-linearly.
pub fn slope_growth(n: &[usize; 3], t: &[f64]) -> f64 {
    if t.len() != 3 {
        return f64::NAN;
    }
    let first = (t[1] - t[0]) / (n[1] - n[0]) as f64;
    let second = (t[2] - t[1]) / (n[2] - n[1]) as f64;
    if first <= 0.0 {
        return f64::NAN;
    }
    second / first
}
