//! Batches written as bound multi-row `INSERT`s, on either database: a batch's rows go in runs
//! whose lengths are powers of two, each run one statement.

/// The most rows one `INSERT` takes. A batch's rows go in runs whose lengths are powers of two
/// (a batch of 23: 16 + 4 + 2 + 1), so each table has six statements to prepare, once per
/// connection (sqlx caches them), and a batch of N takes about log2(N) statements per table.
const MOST_ROWS: usize = 32;

/// One `INSERT … VALUES` statement per run length 1, 2, 4 … `MOST_ROWS`.
pub(super) struct Inserts([String; 6]);

impl Inserts {
    /// `row` numbers its values from `$1` to `$per_row`; each further row's go on from there.
    pub(super) fn new(head: &str, row: &str, per_row: usize) -> Self {
        Self(std::array::from_fn(|bit| {
            let rows: Vec<String> = (0..1 << bit)
                .map(|index| renumber(row, index * per_row))
                .collect();
            format!("{head} VALUES {}", rows.join(", "))
        }))
    }

    /// The statement for a run of `rows` rows (a power of two up to `MOST_ROWS`).
    pub(super) fn sql(&self, rows: usize) -> &str {
        &self.0[rows.trailing_zeros() as usize]
    }
}

/// `sql` with each `$N` placeholder moved on by `by`.
fn renumber(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out += &rest[..=at];
        rest = &rest[at + 1..];
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: usize = rest[..digits].parse().unwrap_or(0);
        out += &(number + by).to_string();
        rest = &rest[digits..];
    }
    out + rest
}

/// `rows` cut into runs of power-of-two lengths, longest first, none longer than `MOST_ROWS`.
pub(super) fn runs<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let len = rows.len().min(MOST_ROWS);
        (len > 0).then(|| {
            let (run, rest) = rows.split_at(1 << len.ilog2());
            rows = rest;
            run
        })
    })
}

#[cfg(test)]
mod tests {
    use super::{renumber, runs};

    fn lengths(count: usize) -> Vec<usize> {
        let rows: Vec<usize> = (0..count).collect();
        let cut: Vec<&[usize]> = runs(&rows).collect();
        // Every row once, in order.
        assert_eq!(cut.concat(), rows);
        cut.iter().map(|run| run.len()).collect()
    }

    #[test]
    fn a_batch_goes_in_power_of_two_runs_longest_first() {
        assert_eq!(lengths(0), Vec::<usize>::new());
        assert_eq!(lengths(1), [1]);
        assert_eq!(lengths(23), [16, 4, 2, 1]);
        assert_eq!(lengths(32), [32]);
        assert_eq!(lengths(100), [32, 32, 32, 4]);
        assert_eq!(lengths(256), [32; 8]);
    }

    #[test]
    fn placeholders_move_on_by_the_rows_before() {
        assert_eq!(renumber("($1, f($1), $12)", 12), "($13, f($13), $24)");
    }
}
