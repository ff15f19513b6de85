//! Stable sorting through one compiled sort. In WebAssembly each `sort_by` call site, with its
//! own element type and comparator, is a copy of the standard library's sort (~4 KB of code
//! each; ~27 copies were 109 KB of the page's module, about 6 % of it): here every sort orders
//! indices with a comparator behind a `dyn`, compiled once, then moves the items into that
//! order. Natively it is the standard library's sort, where speed counts and size does not.
//! Both are stable, so the order is the same either way.

use std::cmp::Ordering;

/// Sorts `items` stably by `compare`.
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    by_indices(items, compare);
    #[cfg(not(target_arch = "wasm32"))]
    items.sort_by(compare);
}

/// Sorts `items` stably by `key`.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` stably in their own order.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// [`sort_by`] as WebAssembly does it (built natively too, so that its tests run there).
pub fn by_indices<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_indices(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, &order);
}

/// `0..n` ordered stably by `compare`: the one sort compiled.
#[inline(never)]
fn sorted_indices(n: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Moves `items` so that place `k` holds what was at `order[k]` (a permutation of the places).
fn permute<T>(items: &mut [T], order: &[usize]) {
    // Where the item now at each place belongs.
    let mut to = vec![0; order.len()];
    for (k, &i) in order.iter().enumerate() {
        to[i] = k;
    }
    for i in 0..items.len().min(to.len()) {
        while to[i] != i {
            let j = to[i];
            items.swap(i, j);
            to.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_as_the_standard_stable_sort_does() {
        // Pairs with many equal keys: stability shows in the second field.
        let mut seed = 0x2545_f491_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for n in [0, 1, 2, 3, 10, 33, 1000] {
            let items: Vec<(u32, u32)> = (0..n).map(|i| (next() % 7, i)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|p| p.0);
            let mut got = items.clone();
            by_indices(&mut got, |a, b| a.0.cmp(&b.0));
            assert_eq!(got, expected, "n = {n}");
            let mut reversed = items;
            by_indices(&mut reversed, |a, b| b.0.cmp(&a.0));
            expected.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(reversed, expected, "n = {n}, descending");
        }
    }

    #[test]
    fn moves_items_that_cannot_be_copied() {
        let mut names: Vec<String> = ["c", "a", "b", "a"].map(String::from).to_vec();
        by_indices(&mut names, |a, b| a.cmp(b));
        assert_eq!(names, ["a", "a", "b", "c"]);
    }
}
