//! Statistical confidentiality: the one suppression step every committee or public output passes.
//!
//! The rule follows the Statistik der Bundesagentur für Arbeit: a published count needs at least
//! [`MIN_CASES`] cases, and so does each count behind a published ratio (primary suppression).
//! A suppressed value must also not be recoverable from what is published beside it: from totals,
//! from the other cells of its row or column, or from the difference to the previous month or to
//! a running sum (secondary suppression).
//!
//! The output is modelled as a [`Grid`]: cells with their values, each either printed (`shown`)
//! or only implied (a monthly increment between two printed running sums, say), and the linear
//! equations that tie them together (a total is the sum of its parts; this month's running sum is
//! last month's plus the month). A cell is *recoverable* when the equations, with every printed
//! and unsuppressed cell known, fix its value. [`protect`] suppresses printed cells until no
//! sensitive cell is recoverable; the check is exact (integer Gaussian elimination), not a
//! heuristic. What it does not cover, and says so: bounds from non-negativity (a suppressed pair
//! that sums to 3 is not recoverable, but each is known to lie between 1 and 2).

/// The smallest number of cases a published cell may rest on.
pub const MIN_CASES: i64 = 3;

/// Whether a count must not be published on its own: 1 or 2 cases. Zero is published as "-".
pub fn is_small(count: i64) -> bool {
    count > 0 && count < MIN_CASES
}

/// A cell of an output: its value (a count, or a difference of counts), whether it is printed,
/// and whether it is sensitive (a small count, or a figure resting on one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub value: i64,
    pub shown: bool,
    pub sensitive: bool,
}

/// An equation over cells: Σ coefficient × cell value = 0.
pub type Equation = Vec<(usize, i64)>;

/// Cells and the equations an attacker can use.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub cells: Vec<Cell>,
    pub equations: Vec<Equation>,
}

impl Grid {
    /// Adds a printed count, sensitive if it is small. Returns its index.
    pub fn count(&mut self, value: i64) -> usize {
        self.push(Cell {
            value,
            shown: true,
            sensitive: is_small(value),
        })
    }

    /// Adds a cell with explicit flags. Returns its index.
    pub fn push(&mut self, cell: Cell) -> usize {
        self.cells.push(cell);
        self.cells.len() - 1
    }

    /// Adds `total = Σ parts`.
    pub fn sum(&mut self, total: usize, parts: &[usize]) {
        let mut eq: Equation = vec![(total, 1)];
        eq.extend(parts.iter().map(|&p| (p, -1)));
        self.equations.push(eq);
    }

    /// A table of counts with row totals, column totals and the grand total, all printed.
    /// Returns the grid and the index of each cell: `index[row][col]`, the row total at
    /// `index[row][cols]`, the column totals in the last row.
    pub fn table(values: &[Vec<i64>]) -> (Self, Vec<Vec<usize>>) {
        let mut g = Grid::default();
        let cols = values.first().map_or(0, Vec::len);
        let mut index: Vec<Vec<usize>> = values
            .iter()
            .map(|row| {
                let mut idx: Vec<usize> = row.iter().map(|&v| g.count(v)).collect();
                let total = g.count(row.iter().sum());
                g.sum(total, &idx);
                idx.push(total);
                idx
            })
            .collect();
        let totals: Vec<usize> = (0..=cols)
            .map(|c| {
                let v = values.iter().map(|r| r.get(c).copied().unwrap_or(0)).sum();
                let v = if c == cols {
                    values.iter().flatten().sum()
                } else {
                    v
                };
                let t = g.count(v);
                let parts: Vec<usize> = index.iter().map(|r| r[c]).collect();
                g.sum(t, &parts);
                t
            })
            .collect();
        index.push(totals);
        (g, index)
    }
}

/// Which printed cells to suppress, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    /// One flag per cell of the grid: print "*" instead of the value.
    pub suppressed: Vec<bool>,
    /// Cells suppressed because they are sensitive themselves.
    pub primary: usize,
    /// Cells suppressed so that no sensitive cell can be recovered.
    pub secondary: usize,
}

impl Protection {
    pub fn is_suppressed(&self, cell: usize) -> bool {
        self.suppressed.get(cell).copied().unwrap_or(false)
    }
}

/// Suppresses printed cells of `grid` until no sensitive cell can be recovered from the printed
/// ones through the grid's equations. Secondary cells are chosen among the printed cells that
/// share an equation with a recoverable cell, the smallest value first (least information lost),
/// zeros last (a suppressed zero protects little where structural zeros are known).
pub fn protect(grid: &Grid) -> Protection {
    let n = grid.cells.len();
    let mut suppressed: Vec<bool> = grid.cells.iter().map(|c| c.shown && c.sensitive).collect();
    let primary = suppressed.iter().filter(|s| **s).count();
    let mut secondary = 0;
    loop {
        let known = |i: usize| grid.cells[i].shown && !suppressed[i];
        let Some(exposed) = (0..n)
            .filter(|&i| grid.cells[i].sensitive && !known(i))
            .find(|&i| recoverable(grid, &suppressed, i))
        else {
            break;
        };
        let in_equation_with = |target: usize| -> Vec<usize> {
            grid.equations
                .iter()
                .filter(|eq| eq.iter().any(|(c, _)| *c == target))
                .flat_map(|eq| eq.iter().map(|(c, _)| *c))
                .filter(|&c| known(c))
                .collect()
        };
        let mut candidates = in_equation_with(exposed);
        if candidates.is_empty() {
            // Recovered through a chain of equations: open a printed cell among the equations
            // connected to the exposed cell (not elsewhere in the output, where it would not
            // help).
            let connected = connected_equations(grid, exposed);
            candidates = connected
                .iter()
                .flat_map(|&e| grid.equations[e].iter().map(|(c, _)| *c))
                .filter(|&c| known(c))
                .collect();
        }
        let Some(pick) = candidates
            .into_iter()
            .min_by_key(|&c| (grid.cells[c].value == 0, grid.cells[c].value.abs(), c))
        else {
            // Determined without any printed cell (the equations alone fix it): suppressing
            // more cannot help. Cannot happen for sums of counts; stop rather than loop.
            break;
        };
        suppressed[pick] = true;
        secondary += 1;
    }
    Protection {
        suppressed,
        primary,
        secondary,
    }
}

/// The equations reachable from `cell` through shared cells.
fn connected_equations(grid: &Grid, cell: usize) -> Vec<usize> {
    let mut cells = vec![cell];
    let mut seen_cells = std::collections::BTreeSet::from([cell]);
    let mut found = std::collections::BTreeSet::new();
    while let Some(c) = cells.pop() {
        for (e, eq) in grid.equations.iter().enumerate() {
            if found.contains(&e) || !eq.iter().any(|(x, _)| *x == c) {
                continue;
            }
            found.insert(e);
            for (x, _) in eq {
                if seen_cells.insert(*x) {
                    cells.push(*x);
                }
            }
        }
    }
    found.into_iter().collect()
}

/// Whether cell `target` is fixed by the equations when every printed, unsuppressed cell is
/// known. Exact: reduces the equations' coefficients over the unknown cells to row echelon form
/// in integers; the target is fixed exactly when some combination of the equations involves it
/// and no other unknown.
pub fn recoverable(grid: &Grid, suppressed: &[bool], target: usize) -> bool {
    let unknown: Vec<usize> = (0..grid.cells.len())
        .filter(|&i| !grid.cells[i].shown || suppressed.get(i).copied().unwrap_or(false))
        .collect();
    let Some(col) = unknown.iter().position(|&u| u == target) else {
        return true; // printed and not suppressed: known
    };
    let pos = |cell: usize| unknown.binary_search(&cell).ok();
    let mut rows: Vec<Vec<i128>> = grid
        .equations
        .iter()
        .map(|eq| {
            let mut row = vec![0i128; unknown.len()];
            for &(c, k) in eq {
                if let Some(p) = pos(c) {
                    row[p] += i128::from(k);
                }
            }
            row
        })
        .filter(|row| row.iter().any(|v| *v != 0))
        .collect();
    let mut pivot_row = 0;
    let mut target_pivot = None;
    for c in 0..unknown.len() {
        let Some(r) = (pivot_row..rows.len()).find(|&r| rows[r][c] != 0) else {
            continue;
        };
        rows.swap(pivot_row, r);
        let pivot = rows[pivot_row].clone();
        for (i, row) in rows.iter_mut().enumerate() {
            if i == pivot_row || row[c] == 0 {
                continue;
            }
            let (p, a) = (pivot[c], row[c]);
            for (x, y) in row.iter_mut().zip(&pivot) {
                *x = *x * p - y * a;
            }
            normalise(row);
        }
        if c == col {
            target_pivot = Some(pivot_row);
        }
        pivot_row += 1;
    }
    target_pivot.is_some_and(|r| rows[r].iter().enumerate().all(|(j, v)| j == col || *v == 0))
}

fn normalise(row: &mut [i128]) {
    let g = row.iter().fold(0i128, |g, v| gcd(g, v.abs()));
    if g > 1 {
        row.iter_mut().for_each(|v| *v /= g);
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What an attacker computes: for every equation with exactly one unknown, solve it; repeat
    /// until nothing new is learnt. Independent of the elimination in [`recoverable`].
    fn attack_by_differences(grid: &Grid, p: &Protection) -> Vec<Option<i64>> {
        let mut known: Vec<Option<i64>> = grid
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| (c.shown && !p.suppressed[i]).then_some(c.value))
            .collect();
        loop {
            let mut learnt = false;
            for eq in &grid.equations {
                let open: Vec<&(usize, i64)> =
                    eq.iter().filter(|(c, _)| known[*c].is_none()).collect();
                if let [(c, k)] = open[..] {
                    let rest: i64 = eq
                        .iter()
                        .filter_map(|(x, kx)| known[*x].map(|v| v * kx))
                        .sum();
                    known[*c] = Some(-rest / k);
                    learnt = true;
                }
            }
            if !learnt {
                return known;
            }
        }
    }

    #[test]
    fn small_counts_are_the_ones_and_twos() {
        assert!(!is_small(0));
        assert!(is_small(1));
        assert!(is_small(2));
        assert!(!is_small(3));
    }

    #[test]
    fn a_lone_small_cell_in_a_row_takes_a_second_cell_with_it() {
        // Households by size in two districts; one district has 2 households of size 5.
        let (grid, idx) = Grid::table(&[vec![40, 25, 2], vec![38, 30, 9]]);
        let p = protect(&grid);
        assert!(p.is_suppressed(idx[0][2]), "primary: 2 cases");
        assert_eq!(p.primary, 1);
        // Without secondary suppression 2 = 67 − 40 − 25 (row) or 11 − 9 (column).
        assert!(p.secondary >= 2, "{p:?}");
        let recovered = attack_by_differences(&grid, &p);
        assert_eq!(recovered[idx[0][2]], None, "the 2 must not be recoverable");
        assert!(!recoverable(&grid, &p.suppressed, idx[0][2]));
    }

    #[test]
    fn recovery_by_differences_fails_for_every_suppressed_cell() {
        let (grid, _) = Grid::table(&[vec![1, 7, 12, 4], vec![5, 2, 0, 8], vec![9, 11, 6, 1]]);
        let p = protect(&grid);
        let recovered = attack_by_differences(&grid, &p);
        for (i, c) in grid.cells.iter().enumerate() {
            if c.sensitive {
                assert!(p.suppressed[i]);
                assert_eq!(recovered[i], None, "cell {i} ({}) recovered", c.value);
                assert!(!recoverable(&grid, &p.suppressed, i));
            }
        }
    }

    #[test]
    fn the_previous_month_does_not_give_the_month_away() {
        // A running sum printed for March and April; the April cases (2) are implied.
        let mut g = Grid::default();
        let march = g.count(17);
        let april = g.count(19);
        let april_cases = g.push(Cell {
            value: 2,
            shown: false,
            sensitive: true,
        });
        g.sum(april, &[march, april_cases]);
        let p = protect(&g);
        assert_eq!(p.primary, 0, "nothing printed is small");
        assert_eq!(p.secondary, 1, "one of the running sums must go");
        assert!(p.is_suppressed(march), "the smaller one: {p:?}");
        assert!(!recoverable(&g, &p.suppressed, april_cases));
    }

    /// A running sum with its monthly values, as a public export prints them.
    fn running(g: &mut Grid, values: &[i64]) -> Vec<usize> {
        let mut prev = None;
        let mut sum = 0;
        let mut cells = Vec::new();
        for &v in values {
            sum += v;
            let m = g.count(v);
            let s = g.count(sum);
            match prev {
                Some(p) => g.sum(s, &[p, m]),
                None => g.sum(s, &[m]),
            }
            prev = Some(s);
            cells.extend([m, s]);
        }
        cells
    }

    #[test]
    fn protecting_one_series_leaves_an_unrelated_one_alone() {
        // Two series in one output, each with a small January: each is protected as if alone.
        let mut both = Grid::default();
        let a = running(&mut both, &[2, 5, 40, 33]);
        let b = running(&mut both, &[1, 30, 31, 29]);
        let p = protect(&both);
        for cells in [&a, &b] {
            assert!(!recoverable(&both, &p.suppressed, cells[0]));
        }
        let mut alone = Grid::default();
        let b_alone = running(&mut alone, &[1, 30, 31, 29]);
        let q = protect(&alone);
        let hidden = |p: &Protection, cells: &[usize]| -> Vec<bool> {
            cells.iter().map(|&c| p.is_suppressed(c)).collect()
        };
        assert_eq!(hidden(&p, &b), hidden(&q, &b_alone), "{p:?}");
    }

    #[test]
    fn large_cells_stay_printed() {
        let (grid, _) = Grid::table(&[vec![40, 25, 30], vec![38, 30, 9]]);
        let p = protect(&grid);
        assert_eq!((p.primary, p.secondary), (0, 0));
    }

    #[test]
    fn a_sum_of_two_suppressed_cells_still_hides_each() {
        // Row 1 + 2 = 3 with both suppressed: the total 3 is printed but each cell is open.
        let (grid, idx) = Grid::table(&[vec![1, 2]]);
        let p = protect(&grid);
        assert!(p.is_suppressed(idx[0][0]) && p.is_suppressed(idx[0][1]));
        assert!(!recoverable(&grid, &p.suppressed, idx[0][0]));
    }

    proptest! {
        #[test]
        fn no_sensitive_cell_is_recoverable(
            rows in prop::collection::vec(prop::collection::vec(0i64..12, 1..5), 1..5)
        ) {
            let cols = rows[0].len();
            let rows: Vec<Vec<i64>> = rows.into_iter().map(|mut r| { r.resize(cols, 0); r }).collect();
            let (grid, _) = Grid::table(&rows);
            let p = protect(&grid);
            let recovered = attack_by_differences(&grid, &p);
            for (i, c) in grid.cells.iter().enumerate() {
                if c.sensitive {
                    prop_assert!(p.suppressed[i]);
                    prop_assert!(!recoverable(&grid, &p.suppressed, i));
                    prop_assert_eq!(recovered[i], None);
                }
                if p.suppressed[i] {
                    prop_assert!(c.shown);
                }
            }
        }

        #[test]
        fn elimination_agrees_with_substitution_where_substitution_succeeds(
            rows in prop::collection::vec(prop::collection::vec(0i64..6, 2..4), 2..4),
            hide in prop::collection::vec(any::<bool>(), 32)
        ) {
            let cols = rows[0].len();
            let rows: Vec<Vec<i64>> = rows.into_iter().map(|mut r| { r.resize(cols, 0); r }).collect();
            let (grid, _) = Grid::table(&rows);
            let suppressed: Vec<bool> = (0..grid.cells.len()).map(|i| hide[i % hide.len()]).collect();
            let p = Protection { suppressed: suppressed.clone(), primary: 0, secondary: 0 };
            let recovered = attack_by_differences(&grid, &p);
            for (i, c) in grid.cells.iter().enumerate() {
                if suppressed[i] && recovered[i].is_some() {
                    prop_assert!(recoverable(&grid, &suppressed, i));
                    prop_assert_eq!(recovered[i], Some(c.value));
                }
            }
        }
    }
}
